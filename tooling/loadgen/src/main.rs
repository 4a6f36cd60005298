//! `loadgen`: the load generator and report of `make bench` (tooling/bench/run.sh).
//!
//! `loadgen run` drives one scenario closed-loop: N connections (one HTTP/1.1
//! keep-alive connection per worker), each sending its next request as soon as the
//! previous answer is read, for a fixed duration. Every latency is recorded and the
//! percentiles are computed from the sorted samples (exact, no histogram buckets).
//! Any answer that is not 2xx, and any transport error, counts as an error.
//!
//! `loadgen report` reads the JSON lines the bench script collected (one per
//! measurement), prints the table with the ratios endpoint ÷ limit and the targets,
//! and writes the whole result as one JSON document.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use rand::Rng;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Load generator and report for `make bench`")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive one scenario and print one JSON object with the measurements.
    Run(RunArgs),
    /// Print the table from a JSON-lines file of measurements; write the JSON summary.
    Report {
        /// JSON lines written by tooling/bench/run.sh.
        input: PathBuf,
        /// Where to write the summary document.
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a command, poll URL every millisecond until it answers 200, print the
    /// time from spawn to that answer and the RSS then, and stop the command.
    Coldstart {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 30.0)]
        timeout_secs: f64,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Scenario {
    /// GET /v1/liveness (no auth).
    Liveness,
    /// GET /v1/products?page=1&rows=10.
    List,
    /// GET /v1/products/{random id from --ids}.
    Get,
    /// POST /v1/products.
    Create,
    /// POST /v1/sales, one line, always --hot-id.
    SaleHot,
    /// POST /v1/sales, one line, a random id from --ids.
    SaleSpread,
}

#[derive(clap::Args)]
struct RunArgs {
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// e.g. http://127.0.0.1:3000
    #[arg(long)]
    base: String,
    #[arg(long, default_value_t = 50)]
    connections: usize,
    #[arg(long, default_value_t = 10.0)]
    duration_secs: f64,
    /// Bearer token for the authenticated scenarios.
    #[arg(long, env = "LOADGEN_TOKEN", default_value = "")]
    token: String,
    /// File of product ids, one per line (get, sale-spread).
    #[arg(long)]
    ids: Option<PathBuf>,
    /// The product every sale-hot request buys.
    #[arg(long)]
    hot_id: Option<String>,
    /// Free-form label copied into the output.
    #[arg(long, default_value = "")]
    label: String,
    /// After a 503 with `Retry-After`, wait that long plus up to 50 % random
    /// jitter (at most 5 s, never past the end) before the next request, as a
    /// well-behaved client does. Without it every worker retries at once: the
    /// worst client.
    #[arg(long)]
    honor_retry_after: bool,
}

struct Worker {
    latencies_us: Vec<u32>,
    /// Latencies of the 2xx answers only, and of the 503s only (load shedding).
    ok_us: Vec<u32>,
    shed_us: Vec<u32>,
    statuses: BTreeMap<String, u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn run(a: RunArgs) -> anyhow::Result<Value> {
    let ids: Arc<Vec<String>> = Arc::new(match &a.ids {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => Vec::new(),
    });
    if matches!(a.scenario, Scenario::Get | Scenario::SaleSpread) && ids.is_empty() {
        bail!("scenario {:?} needs --ids with at least one id", a.scenario);
    }
    if matches!(a.scenario, Scenario::SaleHot) && a.hot_id.is_none() {
        bail!("scenario sale-hot needs --hot-id");
    }
    let auth = Arc::new(format!("Bearer {}", a.token));
    let base = Arc::new(a.base.trim_end_matches('/').to_string());
    let hot = Arc::new(a.hot_id.clone().unwrap_or_default());
    let duration = Duration::from_secs_f64(a.duration_secs);
    let start = Instant::now();
    let deadline = start + duration;

    let mut handles = Vec::with_capacity(a.connections);
    for w in 0..a.connections {
        let (ids, auth, base, hot) = (ids.clone(), auth.clone(), base.clone(), hot.clone());
        let scenario = a.scenario;
        let honor_retry_after = a.honor_retry_after;
        handles.push(tokio::spawn(async move {
            // One client per worker, at most one idle connection: one keep-alive
            // connection per worker, like `wrk -c`/`oha -c`.
            let client = reqwest::Client::builder()
                .http1_only()
                .pool_max_idle_per_host(1)
                .tcp_nodelay(true)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client");
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(w as u64 * 7919 + 1);
            let mut st = Worker {
                latencies_us: Vec::with_capacity(64 * 1024),
                ok_us: Vec::with_capacity(64 * 1024),
                shed_us: Vec::new(),
                statuses: BTreeMap::new(),
                errors: 0,
                first_error: None,
            };
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                n += 1;
                let req = match scenario {
                    Scenario::Liveness => client.get(format!("{base}/v1/liveness")),
                    Scenario::List => client
                        .get(format!("{base}/v1/products?page=1&rows=10"))
                        .header("authorization", auth.as_str()),
                    Scenario::Get => {
                        let id = &ids[rng.gen_range(0..ids.len())];
                        client
                            .get(format!("{base}/v1/products/{id}"))
                            .header("authorization", auth.as_str())
                    }
                    Scenario::Create => client
                        .post(format!("{base}/v1/products"))
                        .header("authorization", auth.as_str())
                        .header("content-type", "application/json")
                        .body(format!(r#"{{"name":"Bench item {w}-{n}","cost":12.5,"quantity":5}}"#)),
                    Scenario::SaleHot | Scenario::SaleSpread => {
                        let id = match scenario {
                            Scenario::SaleHot => hot.as_str(),
                            _ => ids[rng.gen_range(0..ids.len())].as_str(),
                        };
                        client
                            .post(format!("{base}/v1/sales"))
                            .header("authorization", auth.as_str())
                            .header("content-type", "application/json")
                            .body(format!(r#"{{"lines":[{{"productID":"{id}","quantity":1}}]}}"#))
                    }
                };
                let t0 = Instant::now();
                let mut retry_after = None;
                let outcome = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                            retry_after = resp
                                .headers()
                                .get(reqwest::header::RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.trim().parse::<u64>().ok());
                        }
                        match resp.bytes().await {
                            Ok(_) if status.is_success() => Ok(status.as_u16().to_string()),
                            Ok(body) => Err((
                                status.as_u16().to_string(),
                                format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])),
                            )),
                            Err(e) => Err(("body_error".to_string(), e.to_string())),
                        }
                    }
                    Err(e) => Err(("transport_error".to_string(), e.to_string())),
                };
                let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                st.latencies_us.push(us);
                match &outcome {
                    Ok(_) => st.ok_us.push(us),
                    Err((code, _)) if code == "503" => st.shed_us.push(us),
                    Err(_) => {}
                }
                match outcome {
                    Ok(code) => *st.statuses.entry(code).or_default() += 1,
                    Err((code, msg)) => {
                        *st.statuses.entry(code).or_default() += 1;
                        st.errors += 1;
                        st.first_error.get_or_insert(msg);
                    }
                }
                if let (true, Some(secs)) = (honor_retry_after, retry_after) {
                    // Plus up to half as much again at random, so the refused clients
                    // do not all come back in the same instant (the usual jitter).
                    let wait = Duration::from_secs(secs.min(5)).mul_f64(1.0 + rng.gen_range(0.0..0.5));
                    let wake = (Instant::now() + wait).min(deadline);
                    tokio::time::sleep_until(wake.into()).await;
                }
            }
            st
        }));
    }
    let mut all = Vec::new();
    let (mut ok, mut shed) = (Vec::new(), Vec::new());
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut errors = 0;
    let mut first_error = None;
    for h in handles {
        let st = h.await?;
        all.extend_from_slice(&st.latencies_us);
        ok.extend_from_slice(&st.ok_us);
        shed.extend_from_slice(&st.shed_us);
        for (k, v) in st.statuses {
            *statuses.entry(k).or_default() += v;
        }
        errors += st.errors;
        if first_error.is_none() {
            first_error = st.first_error;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    ok.sort_unstable();
    shed.sort_unstable();
    let pct = |p: f64| percentile_ms(&all, p);
    let mean = if all.is_empty() {
        0.0
    } else {
        all.iter().map(|&x| x as f64).sum::<f64>() / all.len() as f64 / 1000.0
    };
    Ok(json!({
        "label": a.label,
        "scenario": format!("{:?}", a.scenario).to_lowercase(),
        "connections": a.connections,
        "duration_s": elapsed,
        "requests": all.len(),
        "errors": errors,
        "statuses": statuses,
        "first_error": first_error,
        "rps": all.len() as f64 / elapsed,
        "p50_ms": pct(50.0),
        "p90_ms": pct(90.0),
        "p99_ms": pct(99.0),
        "max_ms": pct(100.0),
        // Under overload: the answers that did the work, and the ones refused.
        "ok_p99_ms": percentile_ms(&ok, 99.0),
        "shed_p50_ms": percentile_ms(&shed, 50.0),
        "shed_p99_ms": percentile_ms(&shed, 99.0),
        "mean_ms": mean,
    }))
}

/// The `p`th percentile (nearest rank) of sorted microseconds, in ms; 0 if empty.
fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted_us.len() as f64 - 1.0)).round() as usize;
    sorted_us[i.min(sorted_us.len() - 1)] as f64 / 1000.0
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn fmt_opt(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.prec$}"))
}

/// Rows have `kind`: "endpoint" / "limit" (throughput rows; an endpoint may name
/// its limit's `id` in `limit`), or "metric" (a single value with a target).
fn report(input: PathBuf, out: PathBuf) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&input).with_context(|| format!("reading {}", input.display()))?;
    let rows: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("parsing the measurements")?;
    let by_id: BTreeMap<String, &Value> = rows
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str).map(|id| (id.to_string(), r)))
        .collect();

    let mut results = Vec::new();
    println!();
    println!(
        "{:<34} {:>9} {:>8} {:>8} {:>6} {:>8} {:>9} {:>22} {:>7} {:>7}",
        "measurement", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "CPU us/rq", "limit", "ratio", "target"
    );
    println!("{}", "-".repeat(140));
    let mut failures = Vec::new();
    for r in rows
        .iter()
        .filter(|r| matches!(r["kind"].as_str(), Some("endpoint" | "limit")))
    {
        let id = r["id"].as_str().unwrap_or("?");
        let rps = f(r, "rps");
        let limit_id = r.get("limit").and_then(Value::as_str);
        let limit_rps = limit_id.and_then(|l| by_id.get(l)).and_then(|l| f(l, "rps"));
        let ratio = match (rps, limit_rps) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        let target = f(r, "target_ratio");
        let errors = r.get("errors").and_then(Value::as_u64).unwrap_or(0);
        let mut ok = true;
        if let (Some(ratio), Some(t)) = (ratio, target)
            && ratio < t
        {
            ok = false;
            failures.push(format!("{id}: ratio {ratio:.2} < {t:.2}"));
        }
        if errors > 0 {
            ok = false;
            failures.push(format!(
                "{id}: {errors} errors ({})",
                r["first_error"].as_str().unwrap_or("")
            ));
        }
        println!(
            "{:<34} {:>9} {:>8} {:>8} {:>6} {:>8} {:>9} {:>22} {:>7} {:>7}{}",
            id,
            fmt_opt(rps, 0),
            fmt_opt(f(r, "p50_ms"), 2),
            fmt_opt(f(r, "p99_ms"), 2),
            errors,
            fmt_opt(f(r, "rss_peak_kib").map(|k| k / 1024.0), 1),
            fmt_opt(f(r, "cpu_us_per_req"), 0),
            limit_id.unwrap_or(""),
            fmt_opt(ratio, 2),
            target.map_or_else(|| "".into(), |t| format!("≥{t:.2}")),
            if ok { "" } else { "  FAIL" },
        );
        let mut r2 = r.clone();
        if let Some(ratio) = ratio {
            r2["ratio"] = json!(ratio);
        }
        r2["pass"] = json!(ok);
        results.push(r2);
    }
    println!();
    println!("{:<46} {:>12} {:>12} {:>6}", "metric", "value", "target", "");
    println!("{}", "-".repeat(80));
    for r in rows.iter().filter(|r| r["kind"].as_str() == Some("metric")) {
        let id = r["id"].as_str().unwrap_or("?");
        let v = f(r, "value");
        let max = f(r, "max");
        let unit = r["unit"].as_str().unwrap_or("");
        let ok = match (v, max) {
            (Some(v), Some(m)) => v <= m,
            _ => true,
        };
        if !ok {
            failures.push(format!("{id}: {} {unit} > {} {unit}", fmt_opt(v, 2), fmt_opt(max, 2)));
        }
        println!(
            "{:<46} {:>12} {:>12} {:>6}",
            id,
            format!("{} {unit}", fmt_opt(v, 2)),
            max.map_or_else(|| "".into(), |m| format!("≤ {m} {unit}")),
            match (ok, max) {
                (false, _) => "FAIL",
                (true, Some(_)) => "ok",
                (true, None) => "-",
            }
        );
        let mut r2 = r.clone();
        r2["pass"] = json!(ok);
        results.push(r2);
    }
    println!();
    if failures.is_empty() {
        println!("all targets hold");
    } else {
        println!("targets not met ({}):", failures.len());
        for f in &failures {
            println!("  - {f}");
        }
    }
    let doc = json!({ "results": results, "failures": failures });
    std::fs::write(&out, serde_json::to_string_pretty(&doc)?).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run(a) => {
            // The generator shares 2 cores with the service under test: two worker
            // threads keep its own overhead bounded and comparable across runs.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            let v = rt.block_on(run(a))?;
            println!("{v}");
            Ok(())
        }
        Cmd::Report { input, out } => report(input, out),
        Cmd::Coldstart { url, timeout_secs, cmd } => coldstart(url, timeout_secs, cmd),
    }
}

fn coldstart(url: String, timeout_secs: f64, cmd: Vec<String>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(500))
            .pool_max_idle_per_host(0)
            .build()?;
        let t0 = Instant::now();
        let mut child = tokio::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", cmd[0]))?;
        let pid = child.id().unwrap_or(0);
        let ready = loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                break t0.elapsed();
            }
            if t0.elapsed().as_secs_f64() > timeout_secs {
                child.kill().await.ok();
                bail!("{url} not ready after {timeout_secs} s");
            }
            if let Ok(Some(st)) = child.try_wait() {
                bail!("{} exited before it was ready: {st}", cmd[0]);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
            });
        child.kill().await.ok();
        println!(
            "{}",
            json!({ "cold_start_ms": ready.as_secs_f64() * 1000.0, "rss_at_ready_kib": rss })
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn percentiles_are_nearest_rank_in_ms() {
        let us: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 50.0), 51.0);
        assert_eq!(percentile_ms(&us, 99.0), 99.0);
        assert_eq!(percentile_ms(&us, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}

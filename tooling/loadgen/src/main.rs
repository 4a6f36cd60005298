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
use http::{HeaderValue, Method, StatusCode, header};
use rand::Rng;
use serde_json::{Value, json};

mod http_client;
use http_client::{Conn, Target};

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
    /// Worker threads of the generator.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Requests are sent but not recorded for this long first (connections
    /// opening, pools filling); `--duration-secs` is measured after it.
    #[arg(long, default_value_t = 0.5)]
    warmup_secs: f64,
    /// The process under test: its CPU time per request and its peak RSS over
    /// the measured window are reported (Linux /proc; resetting the peak needs
    /// permission to write /proc/PID/clear_refs).
    #[arg(long)]
    pid: Option<u32>,
    /// Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clk_tck: u64,
}

/// CPU time and peak RSS of the process under test, from /proc.
#[derive(Clone)]
struct Proc {
    pid: u32,
    clk_tck: u64,
}

impl Proc {
    /// utime + stime, in clock ticks.
    fn cpu_ticks(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    }

    /// Starts a new peak-RSS window (VmHWM); false if not permitted.
    fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    fn status_kib(&self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }
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

impl Worker {
    /// One answer: `Ok(status)` for a 2xx, `Err((status or error kind, text))`.
    fn record(&mut self, latency: Duration, outcome: Result<String, (String, String)>) {
        let us = latency.as_micros().min(u32::MAX as u128) as u32;
        self.latencies_us.push(us);
        match &outcome {
            Ok(_) => self.ok_us.push(us),
            Err((code, _)) if code == "503" => self.shed_us.push(us),
            Err(_) => {}
        }
        match outcome {
            Ok(code) => *self.statuses.entry(code).or_default() += 1,
            Err((code, msg)) => {
                *self.statuses.entry(code).or_default() += 1;
                self.errors += 1;
                self.first_error.get_or_insert(msg);
            }
        }
    }
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
    let auth =
        HeaderValue::from_str(&format!("Bearer {}", a.token)).context("the token is not a valid header value")?;
    let target = Target::parse(&a.base)?;
    let hot = a.hot_id.clone().unwrap_or_default();
    let duration = Duration::from_secs_f64(a.duration_secs);
    let start = Instant::now() + Duration::from_secs_f64(a.warmup_secs);
    let deadline = start + duration;
    let under_test = a.pid.map(|pid| Proc {
        pid,
        clk_tck: a.clk_tck,
    });
    // The measured window opens at `start`: sample the process under test then.
    let window = {
        let under_test = under_test.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            under_test.map(|t| (t.cpu_ticks(), t.reset_peak_rss()))
        })
    };

    let mut handles = Vec::with_capacity(a.connections);
    for w in 0..a.connections {
        let (ids, auth, target, hot) = (ids.clone(), auth.clone(), target.clone(), hot.clone());
        let scenario = a.scenario;
        let honor_retry_after = a.honor_retry_after;
        handles.push(tokio::spawn(async move {
            // One keep-alive connection per worker, like `wrk -c`/`oha -c`.
            let mut conn = Conn::new(target);
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
                let (method, path, body) = match scenario {
                    Scenario::Liveness => (Method::GET, "/v1/liveness".to_string(), None),
                    Scenario::List => (Method::GET, "/v1/products?page=1&rows=10".to_string(), None),
                    Scenario::Get => {
                        let id = &ids[rng.gen_range(0..ids.len())];
                        (Method::GET, format!("/v1/products/{id}"), None)
                    }
                    Scenario::Create => (
                        Method::POST,
                        "/v1/products".to_string(),
                        Some(format!(r#"{{"name":"Bench item {w}-{n}","cost":12.5,"quantity":5}}"#)),
                    ),
                    Scenario::SaleHot | Scenario::SaleSpread => {
                        let id = match scenario {
                            Scenario::SaleHot => hot.as_str(),
                            _ => ids[rng.gen_range(0..ids.len())].as_str(),
                        };
                        (
                            Method::POST,
                            "/v1/sales".to_string(),
                            Some(format!(r#"{{"lines":[{{"productID":"{id}","quantity":1}}]}}"#)),
                        )
                    }
                };
                let authorization = (!matches!(scenario, Scenario::Liveness)).then_some(&auth);
                let t0 = Instant::now();
                let mut retry_after = None;
                let outcome = match conn.send(method, &path, authorization, body).await {
                    Ok(resp) => {
                        let status = resp.status;
                        if status == StatusCode::SERVICE_UNAVAILABLE {
                            retry_after = resp
                                .headers
                                .get(header::RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.trim().parse::<u64>().ok());
                        }
                        if status.is_success() {
                            Ok(status.as_u16().to_string())
                        } else {
                            let body = &resp.body[..resp.body.len().min(300)];
                            Err((
                                status.as_u16().to_string(),
                                format!("{status}: {}", String::from_utf8_lossy(body)),
                            ))
                        }
                    }
                    Err(e) => Err(("transport_error".to_string(), e)),
                };
                // Requests sent during the warm-up are not recorded.
                if t0 >= start {
                    st.record(t0.elapsed(), outcome);
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
    // The process under test over the measured window: CPU per recorded
    // request (requests in flight at either edge make this approximate by a
    // few per mille) and its peak RSS.
    let (cpu_us_per_req, rss_peak_kib) = match (under_test, window.await?) {
        (Some(t), Some((Some(c0), reset))) => {
            let cpu = t
                .cpu_ticks()
                .filter(|_| !all.is_empty())
                .map(|c1| (c1 - c0) as f64 / t.clk_tck as f64 * 1e6 / all.len() as f64);
            let rss = if reset { t.status_kib("VmHWM") } else { None };
            (cpu, rss)
        }
        _ => (None, None),
    };
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
        "cpu_us_per_req": cpu_us_per_req,
        "rss_peak_kib": rss_peak_kib,
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

/// One measurement from its rounds: throughput, median latency and CPU the mean
/// of the rounds; p99 and peak RSS the worst round; errors summed.
struct Measurement {
    rps: Option<f64>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    rss_peak_kib: Option<f64>,
    cpu_us_per_req: Option<f64>,
    errors: u64,
    first_error: String,
}

impl Measurement {
    fn of(rounds: &[&Value]) -> Self {
        let mean = |k: &str| {
            let v: Vec<f64> = rounds.iter().filter_map(|r| f(r, k)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let max = |k: &str| rounds.iter().filter_map(|r| f(r, k)).reduce(f64::max);
        Measurement {
            rps: mean("rps"),
            p50_ms: mean("p50_ms"),
            p99_ms: max("p99_ms"),
            rss_peak_kib: max("rss_peak_kib"),
            cpu_us_per_req: mean("cpu_us_per_req"),
            errors: rounds.iter().filter_map(|r| r["errors"].as_u64()).sum(),
            first_error: rounds
                .iter()
                .find_map(|r| r["first_error"].as_str())
                .unwrap_or("")
                .to_string(),
        }
    }
}

/// Endpoint ÷ limit: the median over rounds of each round's ratio, the limit
/// measured in the same round (right beside it: this machine's speed drifts
/// over minutes, and one disturbed round should not decide). Rows without a
/// matching round use the limit's mean.
fn ratio_by_round(endpoint: &[&Value], limit: &[&Value]) -> Option<f64> {
    let limit_mean = Measurement::of(limit).rps?;
    let ratios: Vec<f64> = endpoint
        .iter()
        .filter_map(|e| {
            let l = limit
                .iter()
                .find(|l| l.get("round").is_some() && l.get("round") == e.get("round"))
                .and_then(|l| f(l, "rps"))
                .unwrap_or(limit_mean);
            f(e, "rps").filter(|_| l > 0.0).map(|rps| rps / l)
        })
        .collect();
    median(ratios)
}

/// The median (the mean of the middle two for an even count); None if empty.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
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
    // Throughput rows with the same id are the rounds of one measurement.
    let mut order: Vec<&str> = Vec::new();
    let mut rounds: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| matches!(r["kind"].as_str(), Some("endpoint" | "limit")))
    {
        let id = r["id"].as_str().unwrap_or("?");
        if !rounds.contains_key(id) {
            order.push(id);
        }
        rounds.entry(id).or_default().push(r);
    }

    let mut results = Vec::new();
    println!();
    println!(
        "{:<34} {:>9} {:>8} {:>8} {:>6} {:>8} {:>9} {:>22} {:>7} {:>7}",
        "measurement", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "CPU us/rq", "limit", "ratio", "target"
    );
    println!("{}", "-".repeat(140));
    let mut failures = Vec::new();
    for id in order {
        let rs = &rounds[id];
        let m = Measurement::of(rs);
        let first = rs[0];
        let limit_id = first.get("limit").and_then(Value::as_str);
        let ratio = limit_id
            .and_then(|l| rounds.get(l))
            .and_then(|limit| ratio_by_round(rs, limit));
        let target = f(first, "target_ratio");
        let mut ok = true;
        if let (Some(ratio), Some(t)) = (ratio, target)
            && ratio < t
        {
            ok = false;
            failures.push(format!("{id}: ratio {ratio:.2} < {t:.2}"));
        }
        if m.errors > 0 {
            ok = false;
            failures.push(format!("{id}: {} errors ({})", m.errors, m.first_error));
        }
        println!(
            "{:<34} {:>9} {:>8} {:>8} {:>6} {:>8} {:>9} {:>22} {:>7} {:>7}{}",
            id,
            fmt_opt(m.rps, 0),
            fmt_opt(m.p50_ms, 2),
            fmt_opt(m.p99_ms, 2),
            m.errors,
            fmt_opt(m.rss_peak_kib.map(|k| k / 1024.0), 1),
            fmt_opt(m.cpu_us_per_req, 0),
            limit_id.unwrap_or(""),
            fmt_opt(ratio, 2),
            target.map_or_else(|| "".into(), |t| format!("≥{t:.2}")),
            if ok { "" } else { "  FAIL" },
        );
        results.push(json!({
            "kind": first["kind"],
            "id": id,
            "limit": limit_id,
            "target_ratio": target,
            "rps": m.rps,
            "p50_ms": m.p50_ms,
            "p99_ms": m.p99_ms,
            "errors": m.errors,
            "rss_peak_kib": m.rss_peak_kib,
            "cpu_us_per_req": m.cpu_us_per_req,
            "ratio": ratio,
            "pass": ok,
            "rounds": rs,
        }));
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
            // The generator shares the cores with the service under test; its
            // threads are fixed so its own overhead is comparable across runs.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(a.threads)
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
        let uri: http::Uri = url.parse().with_context(|| format!("{url:?} is not a URL"))?;
        let target = Target::parse(&format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("http"),
            uri.authority().map_or("", |a| a.as_str())
        ))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let t0 = Instant::now();
        let mut child = tokio::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", cmd[0]))?;
        let pid = child.id().unwrap_or(0);
        let ready = loop {
            // A new connection each attempt: the service is not listening yet.
            let mut conn = Conn::new(target.clone());
            let attempt = conn.send(http::Method::GET, &path, None, None);
            if let Ok(Ok(a)) = tokio::time::timeout(Duration::from_millis(500), attempt).await
                && a.status.is_success()
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
        let rss = Proc { pid, clk_tck: 100 }.status_kib("VmRSS");
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
    use serde_json::json;

    use super::{Measurement, percentile_ms, ratio_by_round};

    #[test]
    fn rounds_are_paired_with_the_limit_of_the_same_round() {
        let e = [
            json!({"round": 1, "rps": 50.0, "p50_ms": 2.0, "p99_ms": 5.0, "errors": 0}),
            json!({"round": 2, "rps": 90.0, "p50_ms": 4.0, "p99_ms": 9.0, "errors": 1, "first_error": "503"}),
        ];
        let l = [json!({"round": 1, "rps": 100.0}), json!({"round": 2, "rps": 300.0})];
        let (e, l): (Vec<_>, Vec<_>) = (e.iter().collect(), l.iter().collect());
        // (50/100 + 90/300) / 2, not 70/200.
        assert!((ratio_by_round(&e, &l).unwrap() - 0.4).abs() < 1e-9);
        let m = Measurement::of(&e);
        assert_eq!((m.rps, m.p50_ms, m.p99_ms), (Some(70.0), Some(3.0), Some(9.0)));
        assert_eq!((m.errors, m.first_error.as_str()), (1, "503"));
        // A limit measured once serves every round.
        let once = [json!({"rps": 200.0})];
        let once: Vec<_> = once.iter().collect();
        assert!((ratio_by_round(&e, &once).unwrap() - 0.35).abs() < 1e-9);
        assert_eq!(ratio_by_round(&e, &[]), None);
        // Three rounds: the median round decides, a disturbed one does not.
        let e3 = [
            json!({"round": 1, "rps": 50.0}),
            json!({"round": 2, "rps": 10.0}),
            json!({"round": 3, "rps": 60.0}),
        ];
        let l3 = [
            json!({"round": 1, "rps": 100.0}),
            json!({"round": 2, "rps": 100.0}),
            json!({"round": 3, "rps": 100.0}),
        ];
        let (e3, l3): (Vec<_>, Vec<_>) = (e3.iter().collect(), l3.iter().collect());
        assert!((ratio_by_round(&e3, &l3).unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn percentiles_are_nearest_rank_in_ms() {
        let us: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 50.0), 51.0);
        assert_eq!(percentile_ms(&us, 99.0), 99.0);
        assert_eq!(percentile_ms(&us, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}

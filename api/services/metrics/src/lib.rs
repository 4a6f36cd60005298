//! The metrics sidecar (the Go kit's `metrics` service): every few seconds it reads
//! the sales API's `/debug/vars` (JSON, like Go's expvar) and republishes the
//! figures as Prometheus text (`:4020/metrics`) and as JSON (`:4000/metrics`).
//!
//! It runs beside the service (same pod, shared network) and must outlive it: when
//! the service is down or answers garbage, the sidecar keeps serving, reports the
//! target as down (`sidecar_target_up 0`, `"collector": {"up": false, "error": ...}`)
//! and drops the stale figures from the Prometheus output, so graphs show a gap
//! instead of a flat line. Its own health is on the debug port (`:4010`).

mod prom;
pub mod routes;

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use prom::render;

/// Configuration: defaults → optional TOML file → `SALES_METRICS_*` env
/// (`SALES_METRICS_COLLECT_FROM`, `SALES_METRICS_WEB_PROMETHEUS_HOST`, ...).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub collect: CollectConfig,
    pub web: WebConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CollectConfig {
    /// The service's `/debug/vars`.
    pub from: String,
    /// Seconds between scrapes.
    pub interval_secs: u64,
    /// A scrape slower than this counts as a failure.
    pub timeout_ms: u64,
    /// Prefix of the republished Prometheus names (`sales_requests`).
    pub namespace: String,
}

impl Default for CollectConfig {
    fn default() -> Self {
        Self {
            from: "http://localhost:3010/debug/vars".into(),
            interval_secs: 5,
            timeout_ms: 2_000,
            namespace: "sales".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// JSON republication: `GET /metrics`.
    pub expvar_host: String,
    /// Prometheus text: `GET /metrics`.
    pub prometheus_host: String,
    /// The sidecar's own health: `/v1/liveness`, `/v1/readiness`, `/debug/vars`.
    pub debug_host: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            expvar_host: "0.0.0.0:4000".into(),
            prometheus_host: "0.0.0.0:4020".into(),
            debug_host: "0.0.0.0:4010".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `json` or `pretty`.
    pub format: logger::Format,
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: logger::Format::Json,
            level: "info".into(),
        }
    }
}

impl Config {
    /// Start-up checks, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.collect.from.starts_with("http://") || self.collect.from.starts_with("https://")) {
            return Err(format!(
                "config key collect.from (env SALES_METRICS_COLLECT_FROM): {:?} is not an http(s) URL",
                self.collect.from
            ));
        }
        if self.collect.interval_secs == 0 {
            return Err(
                "config key collect.interval_secs (env SALES_METRICS_COLLECT_INTERVAL_SECS): must be at least 1".into(),
            );
        }
        if !prom::is_valid_name(&self.collect.namespace) {
            return Err(format!(
                "config key collect.namespace (env SALES_METRICS_COLLECT_NAMESPACE): {:?} is not a Prometheus name",
                self.collect.namespace
            ));
        }
        Ok(())
    }
}

/// What the sidecar knows: the last figures and how collecting goes.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The last `/debug/vars` document read successfully.
    pub vars: Option<Value>,
    /// Whether the last scrape succeeded.
    pub up: bool,
    /// Why the last scrape failed.
    pub last_error: Option<String>,
    /// When the last successful scrape finished (seconds since the epoch).
    pub last_success_unix: Option<f64>,
    pub last_duration_secs: f64,
    pub scrapes: u64,
    pub failures: u64,
}

/// The shared state between the collector and the servers.
#[derive(Debug, Clone)]
pub struct Collector {
    from: String,
    namespace: String,
    client: reqwest::Client,
    snapshot: Arc<RwLock<Snapshot>>,
}

impl Collector {
    pub fn new(cfg: &CollectConfig) -> anyhow::Result<Collector> {
        // Never through a proxy: the target is this pod's own debug port.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .build()?;
        Ok(Collector {
            from: cfg.from.clone(),
            namespace: cfg.namespace.clone(),
            client,
            snapshot: Arc::default(),
        })
    }

    pub fn target(&self) -> &str {
        &self.from
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One scrape; the outcome goes into the snapshot (and the log when the target
    /// goes down or comes back).
    pub async fn collect_once(&self) {
        let start = Instant::now();
        let result = self.fetch().await;
        let elapsed = start.elapsed().as_secs_f64();
        let mut s = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        s.scrapes += 1;
        s.last_duration_secs = elapsed;
        match result {
            Ok(vars) => {
                if !s.up && s.scrapes > 1 {
                    tracing::info!(target_url = %self.from, "service is back: collecting again");
                }
                s.vars = Some(vars);
                s.up = true;
                s.last_error = None;
                s.last_success_unix = Some(unix_now());
            }
            Err(e) => {
                // Once per outage, not once per scrape.
                if s.up || s.scrapes == 1 {
                    tracing::warn!(target_url = %self.from, error = %e, "service is down: cannot read its debug vars");
                }
                s.up = false;
                s.failures += 1;
                s.last_error = Some(e);
            }
        }
    }

    async fn fetch(&self) -> Result<Value, String> {
        let resp = self.client.get(&self.from).send().await.map_err(|e| error_chain(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("{} answered {status}", self.from));
        }
        let vars: Value = resp
            .json()
            .await
            .map_err(|e| format!("{} sent no JSON: {}", self.from, error_chain(&e)))?;
        if !vars.is_object() {
            return Err(format!("{} sent JSON that is not an object", self.from));
        }
        Ok(vars)
    }

    /// Scrapes every `interval` until `shutdown`.
    pub async fn run(self, interval: Duration, shutdown: web::Shutdown) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.collect_once().await,
                _ = shutdown.wait() => return,
            }
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// "error sending request: connection refused": the causes say what happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        Config::default().validate().unwrap();
        let mut c = Config::default();
        c.collect.from = "localhost:3010".into();
        assert!(c.validate().unwrap_err().contains("SALES_METRICS_COLLECT_FROM"));
        let mut c = Config::default();
        c.collect.interval_secs = 0;
        assert!(c.validate().unwrap_err().contains("collect.interval_secs"));
        let mut c = Config::default();
        c.collect.namespace = "sales-api".into();
        assert!(c.validate().unwrap_err().contains("namespace"));
    }
}

//! The service's configuration: defaults → optional `sales.toml` → `SALES_*` env.
//! Every key is listed in README.md ("Configuration").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub web: WebConfig,
    pub db: DbSection,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub tempo: TempoConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// Public API address.
    pub api_host: String,
    /// Debug server (vars, metrics, probes); keep it off the public network.
    pub debug_host: String,
    /// A request running longer than this is answered 504, in milliseconds.
    pub request_timeout_ms: u64,
    /// How long in-flight requests may take to drain on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// CORS origins; `*` (or empty) allows any origin without credentials.
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
    /// Requests per second per client IP and per token subject (burst: twice
    /// that); 0 turns rate limiting off. Probes are never limited.
    pub rate_limit: u32,
    /// API requests handled at once; more are answered 503 at once (load
    /// shedding). 0 turns it off. Probes are never shed.
    pub max_in_flight: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            api_host: "0.0.0.0:3000".into(),
            debug_host: "0.0.0.0:3010".into(),
            request_timeout_ms: 30_000,
            shutdown_timeout_secs: 20,
            body_limit_bytes: 1 << 20,
            cors_allowed_origins: vec!["*".into()],
            hsts: false,
            rate_limit: 0,
            max_in_flight: 512,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DbSection {
    /// `sqlite://PATH` (embedded default) or `postgres://...`.
    pub url: String,
    pub max_open_conns: u32,
    pub min_idle_conns: u32,
    pub acquire_timeout_ms: u64,
    pub busy_timeout_ms: u64,
    /// Apply pending migrations at start-up (the Kubernetes manifests run
    /// `sales-admin migrate` in an init container instead and turn this off).
    pub auto_migrate: bool,
}

impl Default for DbSection {
    fn default() -> Self {
        let d = sdk::DbConfig::default();
        Self {
            url: d.url,
            max_open_conns: d.max_open_conns,
            min_idle_conns: d.min_idle_conns,
            acquire_timeout_ms: d.acquire_timeout_ms,
            busy_timeout_ms: d.busy_timeout_ms,
            auto_migrate: true,
        }
    }
}

impl DbSection {
    pub fn to_db_config(&self) -> sdk::DbConfig {
        sdk::DbConfig {
            url: self.url.clone(),
            max_open_conns: self.max_open_conns,
            min_idle_conns: self.min_idle_conns,
            acquire_timeout_ms: self.acquire_timeout_ms,
            busy_timeout_ms: self.busy_timeout_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Folder of `<kid>.pem` RSA private keys.
    pub keys_folder: String,
    /// Alternative to the folder: `{"<kid>": "<PEM>"}` (e.g. from a secret).
    pub keys_json: String,
    /// The key that signs new tokens.
    pub active_kid: String,
    /// `iss` of issued tokens; tokens with another issuer are refused.
    pub issuer: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

/// The committed development key in zarf/keys (never use it in production).
pub const DEV_KID: &str = "54bb2165-71e1-41a6-af3e-7da4a0e1e2c1";

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            keys_folder: "zarf/keys".into(),
            keys_json: String::new(),
            active_kid: DEV_KID.into(),
            issuer: "sales-api".into(),
            access_ttl_secs: 3600,
            refresh_ttl_secs: 7 * 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `json`, `pretty`, or `auto` (pretty on a terminal, JSON otherwise).
    pub format: String,
    /// `EnvFilter` directives; `RUST_LOG` overrides.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        // Statements are not logged at INFO; traces see them through their own
        // filter (`tempo.level`). Add `sqlx::query=debug` here to log them too.
        Self {
            format: "auto".into(),
            level: "info,sqlx=warn".into(),
        }
    }
}

impl LogConfig {
    pub fn resolved_format(&self) -> Result<logger::Format, String> {
        use std::io::IsTerminal;
        match self.format.as_str() {
            "auto" => Ok(if std::io::stdout().is_terminal() {
                logger::Format::Pretty
            } else {
                logger::Format::Json
            }),
            other => other.parse(),
        }
    }
}

/// Trace export (OpenTelemetry over OTLP/gRPC, e.g. to Tempo).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TempoConfig {
    /// OTLP/gRPC receiver, `host:port` (plaintext), e.g. `tempo:4317`. Empty: no
    /// export (trace ids are still made, logged and returned in `traceparent`).
    pub host: String,
    /// Fraction of new requests traced, 0..=1; a caller's `traceparent` decision
    /// wins, and liveness/readiness probes are never traced.
    pub probability: f64,
    /// `service.name` of the exported spans (what Grafana lists).
    pub service_name: String,
    /// `EnvFilter` directives for what becomes a span, independent of `log.level`.
    /// `sqlx::query=debug` enables sqlx's per-statement events, which become the SQL
    /// spans (statement text, never parameter values). Used only while exporting.
    pub level: String,
}

impl Default for TempoConfig {
    fn default() -> Self {
        // The Go kit samples 5 %; compose and the dev cluster set 1.0.
        Self {
            host: String::new(),
            probability: 0.05,
            service_name: "sales-api".into(),
            level: "info,sqlx::query=debug".into(),
        }
    }
}

impl TempoConfig {
    /// Start-up check, naming the key and the reason.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(format!(
                "config key tempo.probability (env SALES_TEMPO_PROBABILITY): {} is not between 0 and 1",
                self.probability
            ));
        }
        if self.service_name.trim().is_empty() {
            return Err("config key tempo.service_name (env SALES_TEMPO_SERVICE_NAME): must not be empty".into());
        }
        Ok(())
    }
}

/// What the tracer provider needs from the whole configuration.
pub fn otel_settings(cfg: &Config) -> otel::Settings {
    otel::Settings {
        endpoint: cfg.tempo.host.clone(),
        probability: cfg.tempo.probability,
        service_name: cfg.tempo.service_name.clone(),
        service_version: env!("CARGO_PKG_VERSION").to_string(),
        never_sample_routes: crate::mid::PROBE_ROUTES.iter().map(|r| r.to_string()).collect(),
        db_system: sdk::sqldb::Backend::from_url(&cfg.db.url).map(|b| {
            match b {
                sdk::sqldb::Backend::Postgres => "postgresql",
                sdk::sqldb::Backend::Sqlite => "sqlite",
            }
            .to_string()
        }),
        ..otel::Settings::default()
    }
}

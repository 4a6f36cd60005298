//! `metrics`: the sales API's metrics sidecar.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Parser;
use metrics::{Collector, Config, routes};

/// Reads the sales API's /debug/vars every few seconds and serves the figures as
/// Prometheus text and as JSON. Keeps running (and says so) while the service is down.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "\
Configuration (defaults → --config file → environment):
  SALES_METRICS_COLLECT_FROM           service's debug vars   [http://localhost:3010/debug/vars]
  SALES_METRICS_COLLECT_INTERVAL_SECS  seconds between reads  [5]
  SALES_METRICS_COLLECT_TIMEOUT_MS     read timeout           [2000]
  SALES_METRICS_COLLECT_NAMESPACE      Prometheus name prefix [sales]
  SALES_METRICS_WEB_EXPVAR_HOST        JSON     GET /metrics  [0.0.0.0:4000]
  SALES_METRICS_WEB_PROMETHEUS_HOST    Prometheus GET /metrics [0.0.0.0:4020]
  SALES_METRICS_WEB_DEBUG_HOST         own health and vars    [0.0.0.0:4010]
  SALES_METRICS_LOG_FORMAT             json | pretty          [json]
  SALES_METRICS_LOG_LEVEL              tracing filter         [info]"
)]
struct Cli {
    /// TOML file with settings ([collect], [web], [log]).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    if let Err(err) = run().await {
        eprintln!("metrics: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg: Config = config::load("SALES_METRICS", cli.config.as_deref())?;
    cfg.validate().map_err(anyhow::Error::msg)?;
    let _log = logger::init("metrics", cfg.log.format, &cfg.log.level, None)?;
    tracing::info!(config = %config::masked_json(&cfg), version = env!("CARGO_PKG_VERSION"), "starting");

    let collector = Collector::new(&cfg.collect)?;
    let shutdown = web::Shutdown::new();
    tokio::spawn(web::signal(shutdown.clone()));

    let bind = |addr: String, env: &'static str| async move {
        tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr} ({env})"))
    };
    let expvar = bind(cfg.web.expvar_host.clone(), "SALES_METRICS_WEB_EXPVAR_HOST").await?;
    let prometheus = bind(cfg.web.prometheus_host.clone(), "SALES_METRICS_WEB_PROMETHEUS_HOST").await?;
    let debug = bind(cfg.web.debug_host.clone(), "SALES_METRICS_WEB_DEBUG_HOST").await?;

    let collect = tokio::spawn(
        collector
            .clone()
            .run(Duration::from_secs(cfg.collect.interval_secs), shutdown.clone()),
    );
    let servers = tokio::try_join!(
        web::serve(expvar, routes::expvar(collector.clone()), shutdown.clone()),
        web::serve(prometheus, routes::prometheus(collector.clone()), shutdown.clone()),
        web::serve(debug, routes::debug(collector), shutdown.clone()),
    );
    // A server that fails to run stops the sidecar; the orchestrator restarts it.
    shutdown.trigger();
    let _ = collect.await;
    servers.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

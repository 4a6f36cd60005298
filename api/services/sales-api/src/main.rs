//! `sales-api`: the garage-sale sales service.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Parser;
use sales_api::{App, Config, Deps, config::DEV_KID};
use sdk::sqldb::Backend;

/// The garage-sale sales API.
///
/// With no configuration at all it runs on an embedded SQLite file under ./var/,
/// migrated and seeded on first start, signing tokens with the development key in
/// zarf/keys. Every setting can come from a TOML file or a SALES_* variable.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "\
Configuration (defaults → --config file → environment):
  SALES_WEB_API_HOST        API address                      [0.0.0.0:3000]
  SALES_WEB_DEBUG_HOST      debug server (vars, probes)      [0.0.0.0:3010]
  SALES_DB_URL              sqlite://PATH or postgres://...  [sqlite://var/sales.db]
  SALES_DB_AUTO_MIGRATE     migrate at start-up              [true]
  SALES_AUTH_KEYS_FOLDER    folder of <kid>.pem keys         [zarf/keys]
  SALES_AUTH_ACTIVE_KID     key that signs new tokens        [54bb2165-71e1-41a6-af3e-7da4a0e1e2c1]
  SALES_LOG_FORMAT          json | pretty | auto             [auto]
  SALES_LOG_LEVEL           log filter (RUST_LOG wins)       [info,sqlx=warn]
  SALES_TEMPO_HOST          OTLP/gRPC trace receiver         [empty: no export] e.g. tempo:4317
  SALES_TEMPO_PROBABILITY   share of new requests traced     [0.05]
  SALES_TEMPO_LEVEL         what becomes a span (exporting)  [info,sqlx::query=debug]
The full list is in README.md, section Configuration.

Examples:
  sales-api                                   # embedded SQLite, seeded
  SALES_DB_URL=postgres://postgres@localhost/sales sales-api
  sales-api --config sales.toml"
)]
struct Cli {
    /// TOML file with settings (same keys as the env vars, in [web], [db], [auth], [log], [tempo]).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    if let Err(err) = run().await {
        eprintln!("sales-api: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg: Config = config::load("SALES", cli.config.as_deref())?;
    let format = cfg
        .log
        .resolved_format()
        .map_err(|e| anyhow::anyhow!("config key log.format (env SALES_LOG_FORMAT): {e}"))?;
    cfg.tempo.validate().map_err(anyhow::Error::msg)?;
    // Tracing before logging: the logger installs the OpenTelemetry layer beside its
    // output, so every line of a request carries the request's trace id.
    let telemetry = otel::Telemetry::new(&sales_api::config::otel_settings(&cfg))
        .context("setting up trace export (SALES_TEMPO_HOST, SALES_TEMPO_PROBABILITY)")?;
    // Exporting: spans get their own filter (SQL statements at DEBUG become spans
    // while the logs stay at INFO). Not exporting: the layer only puts trace ids on
    // log lines, so it needs no more than the logs do.
    let trace_filter = if telemetry.is_exporting() {
        &cfg.tempo.level
    } else {
        &cfg.log.level
    };
    let traces = logger::Extra::new(telemetry.layer(), trace_filter.as_str());
    let _log = logger::init("sales-api", format, &cfg.log.level, Some(traces))
        .context("config key log.level (SALES_LOG_LEVEL) or tempo.level (SALES_TEMPO_LEVEL)")?;
    tracing::info!(config = %config::masked_json(&cfg), version = env!("CARGO_PKG_VERSION"), "starting");
    if telemetry.is_exporting() {
        tracing::info!(tempo = %cfg.tempo.host, probability = cfg.tempo.probability, "exporting traces over OTLP/gRPC");
    } else {
        tracing::info!("trace export off (SALES_TEMPO_HOST is empty); trace ids are still logged");
    }

    let result = serve(cfg).await;

    // The spans of the last requests are still batched: send them before exiting.
    let flush = tokio::task::spawn_blocking(move || telemetry.shutdown(Duration::from_secs(5))).await;
    if let Ok(Err(e)) = flush {
        tracing::warn!(error = %e, "could not flush the last spans");
    }
    result
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let db_cfg = cfg.db.to_db_config();
    let db = sdk::DbPool::open(&db_cfg).await.with_context(|| {
        format!(
            "opening the database {} (check SALES_DB_URL)",
            config::mask_url_password(&db_cfg.url)
        )
    })?;
    if cfg.db.auto_migrate {
        db.migrate().await.context("migrating the database")?;
    }
    // The embedded default is ready to use on first start; PostgreSQL is never
    // seeded implicitly (`sales-admin seed` does it on purpose).
    if db.backend() == Backend::Sqlite && cfg.db.auto_migrate && db.is_empty().await? {
        db.seed().await.context("seeding the new SQLite database")?;
        tracing::info!("new database seeded: admin@example.com / garagesale");
    }

    let keys = if cfg.auth.keys_json.is_empty() {
        keystore::KeyStore::from_dir(&cfg.auth.keys_folder)
            .with_context(|| format!("loading keys from {} (SALES_AUTH_KEYS_FOLDER)", cfg.auth.keys_folder))?
    } else {
        keystore::KeyStore::from_json(&cfg.auth.keys_json).context("loading keys from SALES_AUTH_KEYS_JSON")?
    };
    if cfg.auth.active_kid == DEV_KID {
        tracing::warn!("signing tokens with the committed DEVELOPMENT key; set SALES_AUTH_ACTIVE_KID in production");
    }

    let shutdown = web::Shutdown::new();
    let deps = Deps::new(cfg.clone(), db.clone(), keys, shutdown.clone()).await?;
    let api = tokio::net::TcpListener::bind(&cfg.web.api_host)
        .await
        .with_context(|| format!("binding the API to {} (SALES_WEB_API_HOST)", cfg.web.api_host))?;
    let debug_listener = tokio::net::TcpListener::bind(&cfg.web.debug_host)
        .await
        .with_context(|| {
            format!(
                "binding the debug server to {} (SALES_WEB_DEBUG_HOST)",
                cfg.web.debug_host
            )
        })?;
    let port = api.local_addr()?.port();
    tracing::info!(
        api = %api.local_addr()?, debug = %debug_listener.local_addr()?,
        "ready: try `curl -u admin@example.com:garagesale http://localhost:{port}/v1/auth/token/{}`",
        cfg.auth.active_kid
    );

    tokio::spawn(web::signal(shutdown.clone()));
    let debug_task = tokio::spawn(web::serve(
        debug_listener,
        sales_api::debug::router(&deps),
        shutdown.clone(),
    ));
    let api_task = web::serve(api, App::router(&deps), shutdown.clone());

    // Drain in-flight requests, but not forever.
    let drain = Duration::from_secs(cfg.web.shutdown_timeout_secs);
    tokio::select! {
        res = api_task => res.context("API server")?,
        _ = async { shutdown.wait().await; tokio::time::sleep(drain).await } => {
            tracing::warn!(?drain, "shutdown timeout: in-flight requests were cut off");
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), debug_task).await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

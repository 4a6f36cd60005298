//! OpenTelemetry tracing for the services: a tracer provider exporting over
//! OTLP/gRPC (e.g. to Tempo), a sampler that follows the caller's decision and
//! never samples health probes, W3C trace-context helpers for HTTP headers, SQL
//! statement spans, and a flush on shutdown.
//!
//! The spans themselves come from `tracing`: [`Telemetry::layer`] is a
//! `tracing-subscriber` layer (install it beside the log output, e.g. as the
//! `extra` layer of `logger::init`) that turns every enabled `tracing` span into an
//! OpenTelemetry span. Nothing here knows the sales domain; the caller passes the
//! service name and which routes are probes.
//!
//! Without an endpoint nothing is exported and nothing is sampled, but every span
//! still gets a trace id (the caller's, when one came in), so log lines and the
//! `traceparent` response header keep correlating requests across services.

mod propagation;
mod sampler;
mod sql;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanExporter};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::Registry;

pub use propagation::{extract, inject, rename, span_context, trace_id, traceparent};
pub use sampler::ProbeAwareSampler;
pub use sql::{SQLX_TARGET, SqlSpans};
pub use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A layer for the global registry; the same type as `logger::BoxedLayer`.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync + 'static>;

/// The matched route template of a request span (`/v1/users/{user_id}`), as
/// OpenTelemetry's HTTP conventions name it. The sampler reads it, or
/// [`PATH_ATTRIBUTE`], to recognise a probe.
pub const ROUTE_ATTRIBUTE: &str = "http.route";

/// The request's path (`/v1/readiness`), as OpenTelemetry's HTTP conventions name
/// it. A server span starts before routing has found the route template, and
/// probes are fixed paths: the sampler recognises them by this attribute too.
pub const PATH_ATTRIBUTE: &str = "url.path";

/// What to export, where, and how much.
#[derive(Debug, Clone)]
pub struct Settings {
    /// OTLP/gRPC endpoint, `host:port` (plaintext, e.g. `tempo:4317`) or a full
    /// `http://host:port` URL. Empty: nothing is exported.
    pub endpoint: String,
    /// Fraction of new traces (requests without a sampled parent) that are
    /// exported, 0.0..=1.0. A caller's `traceparent` decision always wins.
    pub probability: f64,
    /// `service.name` of every exported span.
    pub service_name: String,
    /// `service.version` of every exported span.
    pub service_version: String,
    /// Routes that are never sampled, whatever the caller says (liveness and
    /// readiness probes would otherwise drown the real traffic): matched against
    /// a span's [`ROUTE_ATTRIBUTE`] and its [`PATH_ATTRIBUTE`].
    pub never_sample_routes: Vec<String>,
    /// `db.system.name` put on SQL spans (`postgresql`, `sqlite`), if known.
    pub db_system: Option<String>,
    /// How often the batch exporter sends; also bounds how stale Tempo can be.
    pub export_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            probability: 0.05,
            service_name: "service".into(),
            service_version: String::new(),
            never_sample_routes: Vec::new(),
            db_system: None,
            export_interval: Duration::from_secs(5),
        }
    }
}

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum OtelError {
    /// `probability` outside 0..=1 (or NaN).
    #[error("sampling probability {0} is not between 0 and 1")]
    InvalidProbability(f64),
    /// The OTLP exporter could not be built (a malformed endpoint, usually).
    #[error("cannot build the OTLP exporter for {endpoint:?}: {reason}")]
    Exporter {
        /// The endpoint as configured.
        endpoint: String,
        /// The exporter's explanation.
        reason: String,
    },
}

/// The tracer provider of the process. Build one at start-up, install
/// [`layer`](Self::layer), and call [`shutdown`](Self::shutdown) at the end so the
/// spans of the last requests are not lost.
#[derive(Debug, Clone)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    db_system: Option<String>,
    exporting: bool,
}

impl Telemetry {
    /// Builds the provider; with an endpoint, spans go over OTLP/gRPC in batches.
    ///
    /// Must be called inside a Tokio runtime when `settings.endpoint` is set (the
    /// gRPC channel lives on it), and that runtime must outlive the provider.
    pub fn new(settings: &Settings) -> Result<Telemetry, OtelError> {
        check_probability(settings.probability)?;
        if settings.endpoint.trim().is_empty() {
            return Ok(Self::build(settings, None::<opentelemetry_otlp::SpanExporter>));
        }
        let endpoint = endpoint_url(&settings.endpoint);
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .with_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| OtelError::Exporter {
                endpoint,
                reason: e.to_string(),
            })?;
        Ok(Self::build(settings, Some(exporter)))
    }

    /// Like [`new`](Self::new) with any exporter (tests use an in-memory one).
    pub fn with_exporter<E>(settings: &Settings, exporter: E) -> Result<Telemetry, OtelError>
    where
        E: SpanExporter + 'static,
    {
        check_probability(settings.probability)?;
        Ok(Self::build(settings, Some(exporter)))
    }

    fn build<E: SpanExporter + 'static>(settings: &Settings, exporter: Option<E>) -> Telemetry {
        let exporting = exporter.is_some();
        // Nothing would receive the spans, so record none; trace ids are still made.
        let probability = if exporting { settings.probability } else { 0.0 };
        let sampler = ProbeAwareSampler::new(probability, exporting, settings.never_sample_routes.iter().cloned());
        let mut resource = Resource::builder().with_service_name(settings.service_name.clone());
        if !settings.service_version.is_empty() {
            resource = resource.with_attribute(KeyValue::new("service.version", settings.service_version.clone()));
        }
        let mut builder = SdkTracerProvider::builder()
            .with_sampler(sampler)
            .with_resource(resource.build());
        if let Some(exporter) = exporter {
            let config = BatchConfigBuilder::default()
                .with_scheduled_delay(settings.export_interval)
                .build();
            builder =
                builder.with_span_processor(BatchSpanProcessor::builder(exporter).with_batch_config(config).build());
        }
        let provider = builder.build();
        let tracer = provider.tracer(settings.service_name.clone());
        Telemetry {
            provider,
            tracer,
            db_system: settings.db_system.clone(),
            exporting,
        }
    }

    /// True when spans are sent somewhere.
    pub fn is_exporting(&self) -> bool {
        self.exporting
    }

    /// The layer that makes OpenTelemetry spans of `tracing` spans, plus
    /// [`SqlSpans`] for the statements sqlx reports.
    pub fn layer(&self) -> BoxedLayer {
        let spans = tracing_opentelemetry::layer()
            .with_tracer(self.tracer.clone())
            // Thread ids and names say nothing about an async request.
            .with_threads(false);
        let sql = SqlSpans::new(self.tracer.clone(), self.db_system.clone());
        // The exporter's own gRPC stack must not be traced: with a debug filter its
        // spans would be exported by the very calls they describe, without end.
        let not_transport = filter_fn(|meta| !is_transport(meta.target()));
        Box::new(spans.and_then(sql).with_filter(not_transport))
    }

    /// Exports every finished span now.
    pub fn force_flush(&self) -> Result<(), String> {
        self.provider.force_flush().map_err(|e| e.to_string())
    }

    /// Flushes and stops the exporter, waiting at most `timeout`. Call once, at
    /// the very end of `main`.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), String> {
        self.provider.shutdown_with_timeout(timeout).map_err(|e| e.to_string())
    }
}

/// Crates the OTLP exporter runs on, plus the SDK itself.
fn is_transport(target: &str) -> bool {
    ["h2", "hyper", "hyper_util", "tonic", "tower", "opentelemetry"]
        .iter()
        .any(|t| {
            target == *t
                || target
                    .strip_prefix(t)
                    .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('_'))
        })
}

fn check_probability(p: f64) -> Result<(), OtelError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(OtelError::InvalidProbability(p))
    }
}

/// `tempo:4317` → `http://tempo:4317`: a bare host means the plaintext gRPC port
/// that Tempo and the OpenTelemetry Collector listen on inside a cluster.
fn endpoint_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim();
    if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("http://{endpoint}")
    }
}

#[cfg(test)]
mod tests;

//! Process-wide `tracing` set-up: JSON lines for production, readable text for
//! development, an `EnvFilter` that `RUST_LOG` can override, and room for one extra
//! layer (OpenTelemetry) on the same registry, behind its own filter: traces may want
//! the statement events of `sqlx::query` at DEBUG while the logs stay at INFO.
//!
//! The JSON format is written here rather than taken from `tracing-subscriber`
//! because its built-in JSON formatter can neither add a constant `service` field nor
//! flatten the fields of *all* enclosing spans onto the line; with flattening, a
//! `request_id` or `trace_id` recorded on the request span appears on every line
//! logged while serving that request.

use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};
use tracing_subscriber::util::SubscriberInitExt;

/// An extra layer to install beside the log output, e.g. a `tracing-opentelemetry`
/// layer built with `.boxed()`.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync + 'static>;

/// The extra layer and the `EnvFilter` directive in front of it. The log filter (and
/// `RUST_LOG`) do not apply to it: each layer sees what its own filter enables.
pub struct Extra {
    /// The layer, e.g. `otel::Telemetry::layer()`.
    pub layer: BoxedLayer,
    /// Its directive, e.g. `"info,sqlx::query=debug"`.
    pub filter: String,
}

impl Extra {
    /// `layer` behind `filter`.
    pub fn new(layer: BoxedLayer, filter: impl Into<String>) -> Self {
        Self {
            layer,
            filter: filter.into(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object per line, for log collectors; the default because deployments
    /// are what must never get the wrong format.
    #[default]
    Json,
    /// Human-readable single lines (coloured on a terminal), for development.
    Pretty,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!("unknown log format {other:?}, expected json or pretty")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Pretty => "pretty",
        })
    }
}

/// Why the logger could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggerError {
    /// The filter directive does not parse; `origin` says whether it came from
    /// `RUST_LOG` or from configuration, so the operator knows what to fix.
    #[error("invalid log filter {directive:?} (from {origin}): {reason}")]
    InvalidFilter {
        /// `RUST_LOG`, `config` or `extra layer`.
        origin: &'static str,
        /// The directive string as given.
        directive: String,
        /// The parser's explanation.
        reason: String,
    },
    /// A global subscriber (or `log` logger) is already installed, e.g. `init` ran twice.
    #[error("logger already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Returned by [`init`]; hold it for the life of `main`.
///
/// Dropping it does nothing today (lines are written synchronously). It exists so a
/// buffered writer or exporter flush can be added later without changing callers.
#[must_use = "hold the guard until the program exits"]
#[derive(Debug)]
pub struct LogGuard {
    _private: (),
}

/// Installs the global subscriber writing to stdout.
///
/// `filter` is an `EnvFilter` directive (`"info,sqlx=warn"`); a non-empty `RUST_LOG`
/// overrides it. `extra` is added to the same registry behind its own filter.
/// Calling it a second time returns an error instead of panicking.
pub fn init(service: &str, format: Format, filter: &str, extra: Option<Extra>) -> Result<LogGuard, LoggerError> {
    let ansi = format == Format::Pretty && std::io::stdout().is_terminal();
    let subscriber = build(service, format, filter, rust_log(), extra, std::io::stdout, ansi)?;
    subscriber
        .try_init()
        .map_err(|e| LoggerError::AlreadyInitialised(e.to_string()))?;
    Ok(LogGuard { _private: () })
}

/// Builds the same subscriber as [`init`] writing to `writer`, without installing it;
/// tests capture output with it (`tracing::subscriber::with_default`).
pub fn subscriber<W>(
    service: &str,
    format: Format,
    filter: &str,
    extra: Option<Extra>,
    writer: W,
) -> Result<impl Subscriber + Send + Sync + 'static, LoggerError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    build(service, format, filter, rust_log(), extra, writer, false)
}

fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty())
}

// `rust_log` is a parameter so tests do not depend on the caller's environment.
fn build<W>(
    service: &str,
    format: Format,
    filter: &str,
    rust_log: Option<String>,
    extra: Option<Extra>,
    writer: W,
    ansi: bool,
) -> Result<impl Subscriber + Send + Sync + 'static, LoggerError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let env_filter = match rust_log {
        Some(directive) => parse_filter(&directive, "RUST_LOG")?,
        None => parse_filter(filter, "config")?,
    };

    let output: BoxedLayer = match format {
        Format::Json => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            // Span fields are stored as JSON so the event formatter can merge them.
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines {
                service: service.to_string(),
            })
            .boxed(),
        Format::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .boxed(),
    };

    // Per-layer filters: an event or span enabled for one layer only (a DEBUG SQL
    // statement wanted by traces, say) never reaches the other.
    let mut layers = vec![output.with_filter(env_filter).boxed()];
    if let Some(extra) = extra {
        let filter = parse_filter(&extra.filter, "extra layer")?;
        layers.push(extra.layer.with_filter(filter).boxed());
    }
    Ok(Registry::default().with(layers))
}

fn parse_filter(directive: &str, origin: &'static str) -> Result<EnvFilter, LoggerError> {
    EnvFilter::builder()
        // An empty directive would otherwise log errors only.
        .with_default_directive(LevelFilter::INFO.into())
        .parse(directive)
        .map_err(|e| LoggerError::InvalidFilter {
            origin,
            directive: directive.to_string(),
            reason: e.to_string(),
        })
}

/// Keys written by the formatter itself; a field with one of these names is written
/// as `fields.<name>` so it cannot forge or hide them.
const RESERVED: &[&str] = &["timestamp", "level", "target", "service", "span"];

struct JsonLines {
    service: String,
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;

        // Root span first so an inner span's field wins over an outer one of the same
        // name, and the event's own fields win over both.
        let mut fields = Map::new();
        let mut span_name = None;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                span_name = Some(span.name());
                let ext = span.extensions();
                let Some(stored) = ext.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&stored.fields) {
                    fields.extend(map);
                }
            }
        }
        let mut visitor = FieldVisitor {
            fields: &mut fields,
            log_target: None,
        };
        event.record(&mut visitor);
        let target = visitor
            .log_target
            .take()
            .unwrap_or_else(|| event.metadata().target().into());

        let mut line: Vec<(String, Value)> = vec![
            ("timestamp".into(), timestamp.into()),
            ("level".into(), event.metadata().level().as_str().into()),
            ("target".into(), target.into()),
            ("service".into(), self.service.clone().into()),
        ];
        if let Some(name) = span_name {
            line.push(("span".into(), name.into()));
        }
        // `message` first among the fields: it is what a reader looks for.
        if let Some(message) = fields.remove("message") {
            line.push(("message".into(), message));
        }
        for (k, v) in fields {
            let k = if RESERVED.contains(&k.as_str()) {
                format!("fields.{k}")
            } else {
                k
            };
            line.push((k, v));
        }

        writer.write_char('{')?;
        for (i, (k, v)) in line.iter().enumerate() {
            if i > 0 {
                writer.write_char(',')?;
            }
            let k = serde_json::to_string(k).map_err(|_| fmt::Error)?;
            let v = serde_json::to_string(v).map_err(|_| fmt::Error)?;
            write!(writer, "{k}:{v}")?;
        }
        writer.write_str("}\n")
    }
}

/// Collects an event's fields as JSON values.
struct FieldVisitor<'a> {
    fields: &'a mut Map<String, Value>,
    /// Events bridged from the `log` crate carry their real target in `log.target`.
    log_target: Option<String>,
}

impl FieldVisitor<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        self.fields.insert(field.name().to_string(), value);
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "log.target" => self.log_target = Some(value.to_string()),
            // The other `log.*` fields repeat what the metadata already says.
            name if name.starts_with("log.") => {}
            _ => self.put(field, value.into()),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if !field.name().starts_with("log.") {
            self.put(field, value.into());
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // Include the causes: "query failed: connection refused" says far more than
        // the outermost message alone.
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.put(field, text.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !field.name().starts_with("log.") {
            self.put(field, format!("{value:?}").into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use tracing::subscriber::with_default;

    /// Captures everything written, for assertions.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        fn lines(&self) -> Vec<String> {
            let buf = self.0.lock().unwrap();
            String::from_utf8(buf.clone())
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        }
    }

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn json_lines(capture: &Capture) -> Vec<Value> {
        capture
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).expect(l))
            .collect()
    }

    #[test]
    fn json_line_has_service_and_flattened_span_fields() {
        let capture = Capture::default();
        let sub = build("sales-api", Format::Json, "info", None, None, capture.clone(), false).unwrap();
        with_default(sub, || {
            let outer = tracing::info_span!("request", request_id = "r-1", user = "outer");
            let _o = outer.enter();
            let inner = tracing::info_span!("query", user = "inner", trace_id = tracing::field::Empty);
            let _i = inner.enter();
            inner.record("trace_id", "abc123");
            tracing::info!(rows = 3, ok = true, "loaded users");
        });

        let lines = json_lines(&capture);
        assert_eq!(lines.len(), 1, "{:?}", capture.lines());
        let line = &lines[0];
        assert_eq!(line["service"], "sales-api");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "loaded users");
        assert_eq!(line["target"], module_path!());
        assert_eq!(line["span"], "query");
        assert_eq!(line["rows"], 3);
        assert_eq!(line["ok"], true);
        assert_eq!(line["request_id"], "r-1", "parent span field flattened");
        assert_eq!(line["user"], "inner", "innermost span wins");
        assert_eq!(line["trace_id"], "abc123", "field recorded after creation");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn field_named_like_a_reserved_key_cannot_overwrite_it() {
        let capture = Capture::default();
        let sub = build("svc", Format::Json, "info", None, None, capture.clone(), false).unwrap();
        with_default(sub, || tracing::warn!(service = "forged", "hello"));
        let line = &json_lines(&capture)[0];
        assert_eq!(line["service"], "svc");
        assert_eq!(line["fields.service"], "forged");
        assert_eq!(line["level"], "WARN");
    }

    #[test]
    fn errors_are_logged_with_their_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("query failed")]
        struct Outer(#[source] io::Error);

        let capture = Capture::default();
        let sub = build("svc", Format::Json, "info", None, None, capture.clone(), false).unwrap();
        let err = Outer(io::Error::other("connection refused"));
        with_default(sub, || {
            tracing::error!(error = &err as &(dyn std::error::Error + 'static), "boom")
        });
        assert_eq!(json_lines(&capture)[0]["error"], "query failed: connection refused");
    }

    #[test]
    fn filter_drops_lower_levels_and_rust_log_overrides_it() {
        let capture = Capture::default();
        let sub = build("svc", Format::Json, "warn", None, None, capture.clone(), false).unwrap();
        with_default(sub, || {
            tracing::info!("dropped");
            tracing::warn!("kept");
        });
        let messages: Vec<_> = json_lines(&capture).iter().map(|l| l["message"].clone()).collect();
        assert_eq!(messages, vec![Value::from("kept")]);

        let capture = Capture::default();
        let sub = build(
            "svc",
            Format::Json,
            "warn",
            Some("debug".into()),
            None,
            capture.clone(),
            false,
        )
        .unwrap();
        with_default(sub, || tracing::debug!("shown"));
        assert_eq!(capture.lines().len(), 1);
    }

    #[test]
    fn invalid_filter_is_an_error_naming_its_origin() {
        let err = build("svc", Format::Json, "info", Some("=[".into()), None, io::sink, false)
            .err()
            .expect("must fail");
        let text = err.to_string();
        assert!(text.contains("RUST_LOG") && text.contains("=["), "{text}");
    }

    #[test]
    fn pretty_format_is_not_json() {
        let capture = Capture::default();
        let sub = build("svc", Format::Pretty, "info", None, None, capture.clone(), false).unwrap();
        with_default(sub, || tracing::info!(user = "ann", "signed in"));
        let lines = capture.lines();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("signed in") && lines[0].contains("user=\"ann\""),
            "{lines:?}"
        );
        assert!(serde_json::from_str::<Value>(&lines[0]).is_err());
    }

    /// Counts events that reach it, standing in for an OpenTelemetry layer.
    struct Counter(Arc<AtomicUsize>);

    impl<S: Subscriber> Layer<S> for Counter {
        fn on_event(&self, _: &Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn extra_layer_has_its_own_filter() {
        // Logs at INFO, the extra layer also sees `sqlx::query` at DEBUG (and RUST_LOG,
        // which overrides the log filter, does not touch it).
        let count = Arc::new(AtomicUsize::new(0));
        let extra = Extra::new(Box::new(Counter(count.clone())), "info,sqlx::query=debug");
        let capture = Capture::default();
        let sub = build(
            "svc",
            Format::Json,
            "info",
            Some("warn".into()),
            Some(extra),
            capture.clone(),
            false,
        )
        .unwrap();
        with_default(sub, || {
            tracing::debug!("filtered out of both");
            tracing::debug!(target: "sqlx::query", summary = "SELECT 1", "statement");
            tracing::info!("one");
            tracing::error!("two");
        });
        assert_eq!(count.load(Ordering::SeqCst), 3, "sql statement, info and error");
        let messages: Vec<_> = json_lines(&capture).iter().map(|l| l["message"].clone()).collect();
        assert_eq!(messages, vec![Value::from("two")], "logs at RUST_LOG=warn");
    }

    #[test]
    fn invalid_extra_filter_is_an_error() {
        let extra = Extra::new(Box::new(Counter(Arc::default())), "=[");
        let err = build("svc", Format::Json, "info", None, Some(extra), io::sink, false)
            .err()
            .expect("must fail");
        assert!(err.to_string().contains("extra layer"), "{err}");
    }

    #[test]
    fn format_names_are_lowercase_and_default_is_json() {
        assert_eq!(Format::default(), Format::Json);
        assert_eq!(serde_json::to_string(&Format::Pretty).unwrap(), "\"pretty\"");
        assert_eq!(serde_json::from_str::<Format>("\"json\"").unwrap(), Format::Json);
        assert!(serde_json::from_str::<Format>("\"Json\"").is_err());
        assert_eq!("PRETTY".parse::<Format>(), Ok(Format::Pretty));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn second_init_returns_an_error_instead_of_panicking() {
        // The only test that installs a global subscriber; the others use `with_default`.
        let _guard = init("svc", Format::Json, "off", None).expect("first init");
        let second = init("svc", Format::Json, "off", None);
        assert!(matches!(second, Err(LoggerError::AlreadyInitialised(_))), "{second:?}");
    }
}

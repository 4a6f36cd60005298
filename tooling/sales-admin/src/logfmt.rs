//! `sales-admin logfmt`: JSON log lines on stdin, one readable line each on stdout
//! (the Go kit's `logfmt` tool):
//!
//! ```text
//! 2026-11-23T11:22:58.001Z INFO  sales-api sales_api::mid: request completed  latency_ms=73.2 method=GET route=/v1/users status=200 request_id=… trace_id=…
//! ```
//!
//! The fixed parts come first (time, level, service, target, message), then the
//! other fields in name order, then `request_id` and `trace_id` (long, and what one
//! greps for). Lines that are not JSON objects (a panic message, a shell error)
//! are printed unchanged whatever the filters say: they are usually the ones that
//! matter.

use std::io::{self, BufRead, Write};

use serde_json::Value;

/// Options of `sales-admin logfmt`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Show only lines of this service (the `service` field), e.g. sales-api or metrics.
    #[arg(long)]
    pub service: Option<String>,
    /// Show only lines at this level or more severe: trace, debug, info, warn, error.
    #[arg(long, value_parser = parse_level)]
    pub level: Option<Level>,
}

pub const HELP: &str = "\
Examples:
  make run | sales-admin logfmt
  kubectl logs -n sales-system deploy/sales-api -c sales-api | sales-admin logfmt --level warn
  docker compose -f zarf/compose/compose.yaml logs --no-log-prefix sales-api metrics | sales-admin logfmt --service metrics";

/// Log levels, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s.to_ascii_lowercase().as_str() {
        "trace" => Ok(Level::Trace),
        "debug" => Ok(Level::Debug),
        "info" => Ok(Level::Info),
        "warn" | "warning" => Ok(Level::Warn),
        "error" => Ok(Level::Error),
        other => Err(format!(
            "unknown level {other:?}: use trace, debug, info, warn or error"
        )),
    }
}

/// Reads stdin to the end, writing the formatted lines to stdout.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    match copy(stdin.lock(), stdout.lock(), args) {
        // `... | sales-admin logfmt | head` closes the pipe early; that is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Formats every line of `input` that passes the filters onto `output`.
pub fn copy(input: impl BufRead, mut output: impl Write, args: &Args) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if let Some(text) = format_line(&line, args) {
            writeln!(output, "{text}")?;
        }
    }
    output.flush()
}

/// Fields shown in fixed places, or not at all (`otel.*` only steer the exporter).
const FIXED: &[&str] = &[
    "timestamp",
    "level",
    "service",
    "target",
    "message",
    "span",
    "request_id",
    "trace_id",
];

/// The readable form of one line, or `None` when a filter drops it.
pub fn format_line(line: &str, args: &Args) -> Option<String> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line) else {
        return Some(line.to_string());
    };
    let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
    if let Some(service) = &args.service
        && text("service") != service
    {
        return None;
    }
    let level = parse_level(text("level")).unwrap_or(Level::Info);
    if args.level.is_some_and(|min| level < min) {
        return None;
    }

    let mut out = format!("{} {:<5} {}", text("timestamp"), text("level"), text("service"));
    let target = text("target");
    if !target.is_empty() {
        out.push(' ');
        out.push_str(target);
        out.push(':');
    }
    let message = text("message");
    if !message.is_empty() {
        out.push(' ');
        out.push_str(&collapse(message));
    }
    let mut rest: Vec<(&String, &Value)> = fields
        .iter()
        .filter(|(k, _)| !FIXED.contains(&k.as_str()) && !k.starts_with("otel."))
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    if !rest.is_empty() || fields.contains_key("request_id") || fields.contains_key("trace_id") {
        out.push(' ');
    }
    for (k, v) in rest {
        push_field(&mut out, k, v);
    }
    for k in ["request_id", "trace_id"] {
        if let Some(v) = fields.get(k) {
            push_field(&mut out, k, v);
        }
    }
    Some(out)
}

fn push_field(out: &mut String, key: &str, value: &Value) {
    out.push(' ');
    out.push_str(key);
    out.push('=');
    match value {
        Value::String(s) => {
            let s = collapse(s);
            if s.is_empty() || s.contains([' ', '"', '=']) {
                out.push_str(&Value::String(s).to_string());
            } else {
                out.push_str(&s);
            }
        }
        Value::Object(_) | Value::Array(_) => out.push_str(&value.to_string()),
        other => out.push_str(&other.to_string()),
    }
}

/// One line per log line: newlines and runs of spaces (SQL statements) become one space.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"{"timestamp":"2026-11-23T11:22:58.001Z","level":"INFO","target":"sales_api::mid","service":"sales-api","span":"request","message":"request completed","latency_ms":73.2,"method":"GET","otel.kind":"server","otel.name":"GET /v1/users","request_id":"r-1","route":"/v1/users/{user_id}","status":200,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#;
    const SQL: &str = r#"{"timestamp":"2026-11-23T11:22:58.000Z","level":"DEBUG","target":"sqlx::query","service":"sales-api","db.statement":"\n\nSELECT a\n  FROM users\n","summary":"SELECT a FROM users","rows_returned":1}"#;
    const SIDECAR: &str = r#"{"timestamp":"2026-11-23T11:23:00.000Z","level":"WARN","target":"metrics","service":"metrics","message":"service is down: cannot read its debug vars","error":"connection refused"}"#;

    fn all(args: &Args) -> String {
        let input = [REQUEST, SQL, "thread 'main' panicked at src/main.rs:1:1", SIDECAR].join("\n");
        let mut out = Vec::new();
        copy(input.as_bytes(), &mut out, args).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_request_line_reads_left_to_right() {
        assert_eq!(
            format_line(REQUEST, &Args::default()).unwrap(),
            "2026-11-23T11:22:58.001Z INFO  sales-api sales_api::mid: request completed  latency_ms=73.2 method=GET \
             route=/v1/users/{user_id} status=200 request_id=r-1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }

    #[test]
    fn multi_line_values_become_one_line_and_spaces_are_quoted() {
        let line = format_line(SQL, &Args::default()).unwrap();
        assert!(!line.contains('\n'));
        assert!(line.contains(r#"db.statement="SELECT a FROM users""#), "{line}");
        assert!(line.contains("rows_returned=1"), "{line}");
    }

    #[test]
    fn filters_by_service_and_level_but_never_hide_raw_lines() {
        let out = all(&Args::default());
        assert_eq!(out.lines().count(), 4, "{out}");

        let out = all(&Args {
            service: Some("metrics".into()),
            level: None,
        });
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].contains("panicked") && lines[1].contains("service is down"),
            "{out}"
        );

        let out = all(&Args {
            service: None,
            level: Some(Level::Info),
        });
        assert!(!out.contains("sqlx::query"), "DEBUG dropped: {out}");
        assert!(
            out.contains("request completed") && out.contains("service is down"),
            "{out}"
        );

        let out = all(&Args {
            service: Some("sales-api".into()),
            level: Some(Level::Warn),
        });
        assert_eq!(out.trim(), "thread 'main' panicked at src/main.rs:1:1");
    }

    #[test]
    fn level_names_parse() {
        assert_eq!(parse_level("WARN"), Ok(Level::Warn));
        assert_eq!(parse_level("warning"), Ok(Level::Warn));
        assert!(parse_level("loud").is_err());
        assert!(Level::Trace < Level::Debug && Level::Warn < Level::Error);
    }
}

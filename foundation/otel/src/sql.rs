//! One client span per SQL statement, made from the event sqlx writes when a
//! statement finishes (target `sqlx::query`: statement text, rows, elapsed time).
//!
//! Every store of every domain runs its SQL through sqlx, so hooking this one
//! event covers all of them without touching a store. The span is a child of the
//! OpenTelemetry context active where the statement ran (the business call's
//! span: sqlx's SQLite worker thread enters the caller's span too), starts
//! `elapsed` before the event and ends at it.
//!
//! Only the statement text is recorded, never bound parameter values; quoted
//! literals inside the text are blanked as well, in case a statement ever inlines
//! one (seed scripts do).

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};

/// The target of sqlx's per-statement event. The log filter must enable it (at
/// DEBUG, sqlx's default statement level) for SQL spans to exist.
pub const SQLX_TARGET: &str = "sqlx::query";

/// Longest statement text kept on a span; longer ones are cut (with `…`).
const MAX_STATEMENT: usize = 4096;

/// The layer; see the module documentation.
pub struct SqlSpans {
    tracer: SdkTracer,
    db_system: Option<String>,
}

impl SqlSpans {
    /// Spans made with `tracer`; `db_system` (e.g. `postgresql`) goes on each one.
    pub fn new(tracer: SdkTracer, db_system: Option<String>) -> Self {
        Self { tracer, db_system }
    }
}

impl fmt::Debug for SqlSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlSpans")
            .field("db_system", &self.db_system)
            .finish_non_exhaustive()
    }
}

impl<S: Subscriber> Layer<S> for SqlSpans {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        if event.metadata().target() != SQLX_TARGET {
            return;
        }
        // Statements outside any traced work (migrations, pool upkeep) and those of
        // unsampled requests make no span.
        let parent = Context::current();
        let parent_sc = parent.span().span_context().clone();
        if !parent_sc.is_valid() || !parent_sc.is_sampled() {
            return;
        }

        let mut fields = StatementFields::default();
        event.record(&mut fields);
        let statement = sanitize(fields.statement());
        if statement.is_empty() {
            return;
        }
        let end = SystemTime::now();
        let start = end
            .checked_sub(Duration::from_secs_f64(fields.elapsed_secs.max(0.0)))
            .unwrap_or(end);
        let (operation, table) = operation_and_table(&statement);
        let name = match &table {
            Some(t) => format!("{operation} {t}"),
            None => operation.clone(),
        };

        let mut attributes = vec![
            KeyValue::new("db.query.text", statement),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.response.returned_rows", fields.rows_returned as i64),
            KeyValue::new("db.response.affected_rows", fields.rows_affected as i64),
        ];
        if let Some(t) = table {
            attributes.push(KeyValue::new("db.collection.name", t));
        }
        if let Some(system) = &self.db_system {
            attributes.push(KeyValue::new("db.system.name", system.clone()));
        }
        if fields.slow {
            attributes.push(KeyValue::new("db.slow_statement", true));
        }
        let mut span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        span.end_with_timestamp(end);
    }
}

#[derive(Default)]
struct StatementFields {
    summary: String,
    statement: String,
    rows_returned: u64,
    rows_affected: u64,
    elapsed_secs: f64,
    slow: bool,
}

impl StatementFields {
    /// sqlx puts the whole text in `db.statement` only when it differs from the
    /// four-word `summary`; otherwise the summary is the statement.
    fn statement(&self) -> &str {
        let full = self.statement.trim();
        if full.is_empty() { self.summary.trim() } else { full }
    }
}

impl Visit for StatementFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.to_string(),
            "message" => self.slow = value.contains("slow statement"),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "rows_returned" => self.rows_returned = value,
            "rows_affected" => self.rows_affected = value,
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = value;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.slow = format!("{value:?}").contains("slow statement");
        }
    }
}

/// The statement with whitespace collapsed, every `'quoted literal'` replaced by
/// `'?'`, and cut to [`MAX_STATEMENT`] bytes.
pub(crate) fn sanitize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len().min(MAX_STATEMENT));
    let mut chars = sql.chars().peekable();
    let mut last_space = true;
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Skip to the closing quote; '' inside a literal is an escaped quote.
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') | None => break,
                    Some(_) => {}
                }
            }
            out.push_str("'?'");
            last_space = false;
        } else if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
        if out.len() >= MAX_STATEMENT {
            let mut cut = MAX_STATEMENT;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            return out;
        }
    }
    // A trailing " …" is sqlx's own marker on summaries; drop it.
    let trimmed = out.trim_end().trim_end_matches('…').trim_end();
    trimmed.to_string()
}

/// `("SELECT", Some("users"))` for `SELECT ... FROM users WHERE ...`: the span
/// name OpenTelemetry's database conventions ask for.
pub(crate) fn operation_and_table(sql: &str) -> (String, Option<String>) {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let operation = words
        .first()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphabetic()).to_ascii_uppercase())
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "SQL".to_string());
    let after = |keyword: &str| -> Option<String> {
        let i = words.iter().position(|w| w.eq_ignore_ascii_case(keyword))?;
        let table: Cow<'_, str> = words
            .get(i + 1)?
            .trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .into();
        (!table.is_empty()).then(|| table.into_owned())
    };
    let table = match operation.as_str() {
        "SELECT" | "DELETE" => after("FROM"),
        "INSERT" => after("INTO"),
        "UPDATE" => words.get(1).map(|t| t.trim_matches('"').to_string()),
        _ => None,
    };
    (operation, table)
}

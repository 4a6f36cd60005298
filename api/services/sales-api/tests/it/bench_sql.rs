//! `make bench` compares endpoints 2-5 with pgbench running "exactly the SQL
//! the endpoint runs" (tooling/bench/pgbench/*.sql). That claim is checked here:
//! each bench request is sent to the real service on PostgreSQL, the statements
//! it executes are captured from sqlx's per-statement events, and they must be
//! the statements of the script, once bound parameters (`$1`) and pgbench's
//! values (`:admin::uuid`, `md5('p' || :n)::uuid`, `now()`, literals) are both
//! read as "a value". Without this the scripts drift silently: the list script
//! kept a `COUNT(*)` for weeks after the store switched to `product_counts`.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use sdk::sqldb::Backend;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::{Layer, filter::Targets, layer::Context, layer::SubscriberExt, registry::Registry};

use crate::harness::TestApp;

/// Collects the text of every statement sqlx reports (target `sqlx::query`).
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// sqlx's event carries a short statement whole in `summary` (and leaves
/// `db.statement` empty); a longer one is cut in `summary` and whole in
/// `db.statement`.
#[derive(Default)]
struct StatementField {
    summary: Option<String>,
    statement: Option<String>,
}

impl StatementField {
    fn text(self) -> Option<String> {
        self.statement.filter(|s| !s.trim().is_empty()).or(self.summary)
    }
}

impl Visit for StatementField {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "db.statement" => self.statement = Some(value.to_string()),
            "summary" => self.summary = Some(value.to_string()),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut v = StatementField::default();
        event.record(&mut v);
        if let Some(sql) = v.text() {
            self.0.lock().unwrap().push(sql);
        }
    }
}

/// Reads a statement as its shape: keywords and names kept, every value (bound
/// parameter, pgbench variable or expression, literal, `now()`) as `?`, spacing
/// collapsed, the trailing `;` dropped.
fn shape(sql: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let word_at = |i: usize, w: &str| -> bool {
        let s: String = chars[i..].iter().take(w.len()).collect();
        s.eq_ignore_ascii_case(w) && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A string literal ('' escapes a quote).
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push('?');
        } else if (c == '$' || c == ':') && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric() || *n == '_') {
            // $1 (bound) or :name (pgbench); a cast `::uuid` has two colons and is
            // handled below.
            if c == ':' && i > 0 && chars[i - 1] == ':' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push('?');
        } else if word_at(i, "md5(") || word_at(i, "now(") || word_at(i, "gen_random_uuid(") {
            // A value computed by pgbench's script: skip to its closing parenthesis.
            let mut depth = 0;
            while i < chars.len() {
                match chars[i] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    '\'' => {
                        i += 1;
                        while i < chars.len() && chars[i] != '\'' {
                            i += 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            out.push('?');
        } else if c.is_ascii_digit() && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push('?');
        } else {
            out.push(c);
            i += 1;
        }
    }
    // A value's cast (`?::uuid`) is part of the value.
    let out = out.replace("?::uuid", "?");
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim()
        .to_string()
}

/// The SQL statements of a pgbench script: meta-commands (`\set`) and comments
/// left out, statements separated by `;` at the end of a line. `BEGIN` is left
/// out too: sqlx sends it as a simple query of its own (a round trip, as in
/// pgbench) without a statement event, so the service's side never shows it.
fn script_statements(name: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tooling/bench/pgbench")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("--") || line.starts_with('\\') {
            continue;
        }
        current.push_str(line);
        current.push(' ');
        if line.ends_with(';') {
            let statement = shape(&current);
            if statement != "BEGIN" {
                statements.push(statement);
            }
            current.clear();
        }
    }
    assert!(
        current.trim().is_empty(),
        "{name}: a statement without its ';': {current}"
    );
    statements
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn shapes_read_values_alike() {
    assert_eq!(
        shape("SELECT a FROM t WHERE id = $1 AND n >= $2 LIMIT $3 OFFSET $4"),
        shape("SELECT a FROM t WHERE id = md5('p' || (:n % 1000 + 1))::uuid AND n >= 1 LIMIT 10 OFFSET 0;")
    );
    assert_eq!(
        shape("INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"),
        shape("INSERT INTO t (a, b, c) VALUES (gen_random_uuid(), :admin::uuid, 'it''s {\"x\":1}');")
    );
    assert_eq!(shape("SELECT x2, t.col_1 FROM t1"), "SELECT x2, t.col_1 FROM t1");
    // A different statement stays different: the check can fail.
    assert_ne!(
        shape("SELECT COUNT(*) FROM products p WHERE p.date_deleted IS NULL"),
        shape("SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT) FROM product_counts")
    );
}

/// The statements one request runs, captured from sqlx's events.
/// Each statement's event is written when it ends, before the answer is sent:
/// once the answer is in, the request's statements are all captured.
async fn statements_of(captured: &Statements, req: impl std::future::Future<Output = u16>) -> Vec<String> {
    captured.take();
    let status = req.await;
    assert!((200..300).contains(&status), "bench request failed: {status}");
    captured.take().iter().map(|s| shape(s)).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn pgbench_scripts_run_the_statements_of_their_endpoints() {
    let captured = Statements::default();
    let subscriber = Registry::default().with(
        captured
            .clone()
            .with_filter(Targets::new().with_target("sqlx::query", tracing::Level::TRACE)),
    );
    // This thread only (the service runs on this current-thread runtime).
    let _guard = tracing::subscriber::set_default(subscriber);

    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let token = app.admin_token().await;
    let t = Some(token.as_str());
    // A product to read and to sell (seeded: Coffee Mug, 10 in stock).
    let product = "617f6a5e-db18-465f-ae03-63d2f984ee70";

    let list = statements_of(&captured, async {
        app.get("/v1/products?page=1&rows=10", t).await.status.as_u16()
    })
    .await;
    assert_eq!(sorted(list), sorted(script_statements("list.sql")), "list.sql");

    let get = statements_of(&captured, async {
        app.get(&format!("/v1/products/{product}"), t).await.status.as_u16()
    })
    .await;
    assert_eq!(get, script_statements("get.sql"), "get.sql");

    let create = statements_of(&captured, async {
        app.post(
            "/v1/products",
            t,
            json!({"name": "Bench item", "cost": 12.5, "quantity": 5}),
        )
        .await
        .status
        .as_u16()
    })
    .await;
    assert_eq!(create, script_statements("create.sql"), "create.sql");

    let sale = statements_of(&captured, async {
        app.post(
            "/v1/sales",
            t,
            json!({"lines": [{"productID": product, "quantity": 1}]}),
        )
        .await
        .status
        .as_u16()
    })
    .await;
    assert_eq!(sale, script_statements("sale_hot.sql"), "sale_hot.sql");
    assert_eq!(sale, script_statements("sale_spread.sql"), "sale_spread.sql");
}

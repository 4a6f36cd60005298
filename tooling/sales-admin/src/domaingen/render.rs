//! The askama templates (compiled into the binary from `templates/domain/`) and
//! the files they become. Rust output goes through rustfmt, so it is formatted
//! like the rest of the workspace.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use askama::Template;

use super::ctx::Ctx;

macro_rules! templates {
    ($($ty:ident => $path:literal),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        pub struct $ty<'a> {
            pub c: &'a Ctx,
        }
    )*};
}

templates! {
    BusCargo => "domain/bus_cargo.toml",
    BusLib => "domain/bus_lib.rs",
    BusModel => "domain/bus_model.rs",
    BusStoresMod => "domain/bus_stores_mod.rs",
    BusStore => "domain/bus_store.rs",
    BusTestMain => "domain/bus_test_main.rs",
    BusTestCrud => "domain/bus_test_crud.rs",
    BusTestQuery => "domain/bus_test_query.rs",
    MigrationPg => "domain/migration_pg.sql",
    MigrationSqlite => "domain/migration_sqlite.sql",
    AppCargo => "domain/app_cargo.toml",
    AppLib => "domain/app_lib.rs",
    AppModel => "domain/app_model.rs",
    AppRoute => "domain/app_route.rs",
    ApiTest => "domain/api_test.rs",
}

/// One file the generator writes: its path relative to the workspace root, the
/// template it came from, and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenFile {
    pub path: String,
    pub template: &'static str,
    pub content: String,
}

/// Every file of the domain described by `c`, formatted.
pub fn files(c: &Ctx, rustfmt_config: Option<&Path>) -> anyhow::Result<Vec<GenFile>> {
    let n = &c.n;
    let bus = format!("business/domain/{}", n.bus);
    let app = format!("app/domain/{}", n.app);
    let raw: Vec<(String, &'static str, String)> = vec![
        (format!("{bus}/Cargo.toml"), "bus_cargo.toml", BusCargo { c }.render()?),
        (format!("{bus}/src/lib.rs"), "bus_lib.rs", BusLib { c }.render()?),
        (format!("{bus}/src/model.rs"), "bus_model.rs", BusModel { c }.render()?),
        (
            format!("{bus}/src/stores/mod.rs"),
            "bus_stores_mod.rs",
            BusStoresMod { c }.render()?,
        ),
        (
            format!("{bus}/src/stores/store.rs"),
            "bus_store.rs",
            BusStore { c }.render()?,
        ),
        (
            format!("{bus}/tests/it/main.rs"),
            "bus_test_main.rs",
            BusTestMain { c }.render()?,
        ),
        (
            format!("{bus}/tests/it/crud.rs"),
            "bus_test_crud.rs",
            BusTestCrud { c }.render()?,
        ),
        (
            format!("{bus}/tests/it/query.rs"),
            "bus_test_query.rs",
            BusTestQuery { c }.render()?,
        ),
        (
            format!("business/sdk/migrations/pg/{}_{}.sql", c.migration, n.plural),
            "migration_pg.sql",
            MigrationPg { c }.render()?,
        ),
        (
            format!("business/sdk/migrations/sqlite/{}_{}.sql", c.migration, n.plural),
            "migration_sqlite.sql",
            MigrationSqlite { c }.render()?,
        ),
        (format!("{app}/Cargo.toml"), "app_cargo.toml", AppCargo { c }.render()?),
        (format!("{app}/src/lib.rs"), "app_lib.rs", AppLib { c }.render()?),
        (format!("{app}/src/model.rs"), "app_model.rs", AppModel { c }.render()?),
        (format!("{app}/src/route.rs"), "app_route.rs", AppRoute { c }.render()?),
        (
            format!("api/services/sales-api/tests/it/{}.rs", n.plural),
            "api_test.rs",
            ApiTest { c }.render()?,
        ),
    ];
    raw.into_iter()
        .map(|(path, template, content)| {
            let content = if path.ends_with(".rs") {
                rustfmt(&content, rustfmt_config).with_context(|| format!("formatting {path} (template {template})"))?
            } else {
                tidy(&content)
            };
            Ok(GenFile {
                path,
                template,
                content,
            })
        })
        .collect()
}

/// Non-Rust output: no trailing spaces, exactly one final newline.
fn tidy(s: &str) -> String {
    let mut out: String = s.lines().map(|l| l.trim_end().to_string() + "\n").collect();
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Formats Rust source with `rustfmt --edition 2024` (and the workspace's
/// rustfmt.toml when given).
pub fn rustfmt(src: &str, config: Option<&Path>) -> anyhow::Result<String> {
    let mut cmd = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()));
    cmd.args(["--edition", "2024", "--emit", "stdout"]);
    if let Some(cfg) = config {
        cmd.arg("--config-path").arg(cfg);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    child.stdin.take().context("rustfmt stdin")?.write_all(src.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "rustfmt rejected the generated code (a template bug):\n{}\n--- source ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            numbered(src)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn numbered(src: &str) -> String {
    src.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} {l}\n", i + 1))
        .collect()
}

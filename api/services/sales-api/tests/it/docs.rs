//! The documented defaults are the code's defaults: every configuration key of
//! `Config::default()` is in README.md's tables with its real default, and every
//! default `sales-api --help` prints matches it too.

use std::{collections::BTreeMap, process::Command};

use sales_api::Config;

/// `SALES_WEB_API_HOST` → its default, rendered as README and --help show it.
fn defaults() -> BTreeMap<String, String> {
    let json = serde_json::to_value(Config::default()).expect("config serialises");
    let mut out = BTreeMap::new();
    for (section, fields) in json.as_object().expect("sections") {
        for (field, value) in fields.as_object().expect("fields") {
            let key = format!("SALES_{}_{}", section, field).to_uppercase();
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(key, shown);
        }
    }
    out
}

/// A documented default agrees with the real one. Placeholders are allowed only
/// where the real value is empty or long: "(empty ...)" / an empty cell for "",
/// and a prefix ending in "…" for a long value such as the dev key id.
fn agrees(documented: &str, real: &str) -> bool {
    if real.is_empty() {
        return documented.is_empty() || documented.starts_with("(empty") || documented.starts_with("empty");
    }
    if let Some(prefix) = documented.strip_suffix('…') {
        return !prefix.is_empty() && real.starts_with(prefix);
    }
    documented == real
}

#[test]
fn readme_lists_every_config_key_with_its_real_default() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../README.md"))
        .expect("README.md at the repository root");
    // Rows look like: | `SALES_WEB_API_HOST` | `0.0.0.0:3000` | API address |
    let mut documented: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with("`SALES_") {
            continue;
        }
        let key = cells[1].trim_matches('`').to_string();
        // The default is the first `code` span of the cell, or the cell itself.
        let cell = cells[2];
        let value = match cell.split('`').nth(1) {
            Some(code) if cell.starts_with('`') => code.to_string(),
            _ => cell.to_string(),
        };
        documented.entry(key).or_default().push(value);
    }
    let defaults = defaults();
    assert!(defaults.len() >= 25, "expected the whole config, got {defaults:?}");
    let mut problems = Vec::new();
    for (key, real) in &defaults {
        match documented.get(key) {
            None => problems.push(format!("{key} (default {real:?}) is missing from README.md")),
            Some(values) => {
                for v in values {
                    if !agrees(v, real) {
                        problems.push(format!("{key}: README says {v:?}, the code's default is {real:?}"));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README.md and Config::default() disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn help_shows_the_real_defaults() {
    let out = Command::new(env!("CARGO_BIN_EXE_sales-api"))
        .arg("--help")
        .output()
        .expect("run sales-api --help");
    assert!(out.status.success(), "sales-api --help failed: {out:?}");
    let help = String::from_utf8(out.stdout).expect("utf-8 help");
    let defaults = defaults();
    let mut checked = 0;
    let mut problems = Vec::new();
    // Lines look like: "  SALES_DB_URL   sqlite://PATH or postgres://...  [sqlite://var/sales.db]"
    for line in help.lines() {
        let line = line.trim();
        // (Example lines such as `SALES_DB_URL=... sales-api` are not key lines.)
        let is_key = |k: &&str| k.starts_with("SALES_") && k.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        let Some(key) = line.split_whitespace().next().filter(is_key) else {
            continue;
        };
        let (Some(open), Some(close)) = (line.rfind('['), line.rfind(']')) else {
            problems.push(format!("{key}: no [default] on its --help line"));
            continue;
        };
        let shown = &line[open + 1..close];
        match defaults.get(key) {
            None => problems.push(format!("{key}: --help lists a key Config does not have")),
            Some(real) if !agrees(shown, real) => {
                problems.push(format!("{key}: --help says [{shown}], the code's default is {real:?}"))
            }
            Some(_) => checked += 1,
        }
    }
    assert!(
        problems.is_empty(),
        "--help and Config::default() disagree:\n{}",
        problems.join("\n")
    );
    assert!(
        checked >= 10,
        "expected the main keys in --help, checked {checked}:\n{help}"
    );
}

//! `/debug/vars` JSON → Prometheus text.
//!
//! Every number becomes a gauge named after its path (`db.inUse` →
//! `sales_db_in_use`), booleans become 0/1, and strings become labels of one
//! `sales_info` gauge (`build`, `db_backend`). The vars say nothing about which
//! numbers only ever grow, so all are gauges; the service's own `/metrics` has
//! the typed counters and histograms.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::Snapshot;

/// Prometheus text for `snapshot`; the service's figures only while it is up.
pub fn render(namespace: &str, target: &str, snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(2048);
    let target = escape(target);
    family(
        &mut out,
        "sidecar_target_up",
        "gauge",
        "1 when the last read of the service's /debug/vars succeeded.",
    );
    let _ = writeln!(
        out,
        "sidecar_target_up{{target=\"{target}\"}} {}",
        u8::from(snapshot.up)
    );
    family(
        &mut out,
        "sidecar_scrapes_total",
        "counter",
        "Reads of the service's /debug/vars.",
    );
    let _ = writeln!(out, "sidecar_scrapes_total{{target=\"{target}\"}} {}", snapshot.scrapes);
    family(
        &mut out,
        "sidecar_scrape_failures_total",
        "counter",
        "Reads that failed (service down, error status, not JSON).",
    );
    let _ = writeln!(
        out,
        "sidecar_scrape_failures_total{{target=\"{target}\"}} {}",
        snapshot.failures
    );
    family(
        &mut out,
        "sidecar_scrape_duration_seconds",
        "gauge",
        "How long the last read took.",
    );
    let _ = writeln!(
        out,
        "sidecar_scrape_duration_seconds{{target=\"{target}\"}} {}",
        snapshot.last_duration_secs
    );
    if let Some(t) = snapshot.last_success_unix {
        family(
            &mut out,
            "sidecar_last_success_timestamp_seconds",
            "gauge",
            "When the last successful read finished.",
        );
        let _ = writeln!(out, "sidecar_last_success_timestamp_seconds{{target=\"{target}\"}} {t}");
    }

    let (true, Some(vars)) = (snapshot.up, &snapshot.vars) else {
        // Stale figures would draw a flat line over an outage.
        return out;
    };
    let mut numbers = Vec::new();
    let mut strings = Vec::new();
    flatten(vars, &mut Vec::new(), &mut numbers, &mut strings);

    let mut seen = BTreeSet::new();
    for (path, value) in numbers {
        let name = format!("{namespace}_{}", snake_path(&path));
        if !seen.insert(name.clone()) {
            continue;
        }
        family(
            &mut out,
            &name,
            "gauge",
            &format!("{} from /debug/vars.", path.join(".")),
        );
        let _ = writeln!(out, "{name} {value}");
    }
    if !strings.is_empty() {
        let name = format!("{namespace}_info");
        family(
            &mut out,
            &name,
            "gauge",
            "Always 1; the labels are the text values of /debug/vars.",
        );
        let mut labels = Vec::new();
        let mut seen = BTreeSet::new();
        for (path, text) in strings {
            let label = snake_path(&path);
            if seen.insert(label.clone()) {
                labels.push(format!("{label}=\"{}\"", escape(&text)));
            }
        }
        let _ = writeln!(out, "{name}{{{}}} 1", labels.join(","));
    }
    out
}

fn flatten(
    v: &Value,
    path: &mut Vec<String>,
    numbers: &mut Vec<(Vec<String>, f64)>,
    strings: &mut Vec<(Vec<String>, String)>,
) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                flatten(v, path, numbers, strings);
                path.pop();
            }
        }
        Value::Number(n) if !path.is_empty() => {
            if let Some(f) = n.as_f64() {
                numbers.push((path.clone(), f));
            }
        }
        Value::Bool(b) if !path.is_empty() => numbers.push((path.clone(), f64::from(u8::from(*b)))),
        Value::String(s) if !path.is_empty() => strings.push((path.clone(), s.clone())),
        // Arrays and nulls have no single number to show.
        _ => {}
    }
}

/// `["db", "inUse"]` → `db_in_use`; anything outside `[a-z0-9_]` becomes `_`.
pub(crate) fn snake_path(path: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in path.iter().enumerate() {
        if i > 0 {
            out.push('_');
        }
        let mut prev_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() {
                if prev_lower {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                prev_lower = false;
            } else if c.is_ascii_alphanumeric() {
                out.push(c);
                prev_lower = true;
            } else {
                out.push('_');
                prev_lower = false;
            }
        }
    }
    out
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_snake_case_paths() {
        let p = |s: &[&str]| snake_path(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&["db", "inUse"]), "db_in_use");
        assert_eq!(p(&["process", "rssBytes"]), "process_rss_bytes");
        assert_eq!(p(&["requests"]), "requests");
        assert_eq!(p(&["a-b", "c.d"]), "a_b_c_d");
        assert!(is_valid_name("sales") && is_valid_name("_x1") && !is_valid_name("1x") && !is_valid_name("a-b"));
    }

    #[test]
    fn up_snapshot_republishes_numbers_bools_and_strings() {
        let snapshot = Snapshot {
            vars: Some(
                json!({"build": "0.1.0", "requests": 7, "db": {"backend": "sqlite", "inUse": 1}, "ok": true, "list": [1, 2], "none": null}),
            ),
            up: true,
            scrapes: 3,
            failures: 1,
            last_success_unix: Some(1.5),
            ..Snapshot::default()
        };
        let text = render("sales", "http://x:3010/debug/vars", &snapshot);
        for line in [
            "sidecar_target_up{target=\"http://x:3010/debug/vars\"} 1",
            "sidecar_scrapes_total{target=\"http://x:3010/debug/vars\"} 3",
            "sidecar_scrape_failures_total{target=\"http://x:3010/debug/vars\"} 1",
            "# TYPE sales_requests gauge",
            "sales_requests 7",
            "sales_db_in_use 1",
            "sales_ok 1",
            "sales_info{build=\"0.1.0\",db_backend=\"sqlite\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
        assert!(!text.contains("list") && !text.contains("none"), "{text}");
    }

    #[test]
    fn down_snapshot_keeps_only_the_sidecars_own_figures() {
        let snapshot = Snapshot {
            vars: Some(json!({"requests": 7})),
            up: false,
            scrapes: 2,
            failures: 2,
            ..Snapshot::default()
        };
        let text = render("sales", "t", &snapshot);
        assert!(text.contains("sidecar_target_up{target=\"t\"} 0"), "{text}");
        assert!(!text.contains("sales_requests"), "stale figures dropped: {text}");
    }
}

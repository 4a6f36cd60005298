//! The layering rule of this workspace, checked from `cargo metadata`.
//!
//! Layers are folders: `foundation/` (domain-free building blocks), `business/`
//! (domain cores and their sdk), `app/` (the HTTP edge), and the top: `api/`
//! (deployable binaries) and `tooling/`. A crate may only depend downward. Cargo
//! already refuses cycles; this check refuses the upward edges that would still
//! compile, so "a business crate has no axum" is a CI failure, not a convention.
//!
//! Only normal and build dependencies count: a test may use whatever it likes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Which layer a workspace crate belongs to, from its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Foundation,
    Business,
    App,
    Api,
    Tooling,
}

impl Layer {
    /// The layer of a crate whose manifest lies at `rel` (relative to the workspace root).
    pub fn of(rel: &str) -> Option<Layer> {
        match rel.split(['/', '\\']).next()? {
            "foundation" => Some(Layer::Foundation),
            "business" => Some(Layer::Business),
            "app" => Some(Layer::App),
            "api" => Some(Layer::Api),
            "tooling" => Some(Layer::Tooling),
            _ => None,
        }
    }
}

/// External crates that mean "HTTP server/framework"; the business layer must not
/// know how it is served.
pub const HTTP_CRATES: &[&str] = &["axum", "axum-core", "axum-extra", "tower-http", "hyper", "hyper-util"];

/// One forbidden dependency edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The depending crate.
    pub from: String,
    /// Its folder, relative to the workspace root.
    pub from_dir: String,
    /// The crate it depends on.
    pub to: String,
    /// The rule broken.
    pub rule: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) -> {}: {}", self.from, self.from_dir, self.to, self.rule)
    }
}

/// What was looked at, for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub crates: usize,
    pub edges: usize,
    pub violations: Vec<Violation>,
}

const BUSINESS_HTTP: &str = "business crates must not depend on the HTTP stack (keep it in app/ and foundation/web)";
const BUSINESS_UP: &str = "business crates may depend only on business/ and foundation/ crates";
const FOUNDATION_UP: &str = "foundation crates must not know any domain, app or binary crate";
const APP_UP: &str = "app crates must not depend on api/ or tooling/ crates";

/// The rule, if any, that an edge from a `from` crate to `to` breaks. `to_layer`
/// is `None` for crates outside the workspace.
fn broken_rule(from: Layer, to: &str, to_layer: Option<Layer>) -> Option<&'static str> {
    use Layer::*;
    match (from, to_layer) {
        (Business, None) if HTTP_CRATES.contains(&to) => Some(BUSINESS_HTTP),
        (Business, Some(App | Api | Tooling)) => Some(BUSINESS_UP),
        (Foundation, Some(Business | App | Api | Tooling)) => Some(FOUNDATION_UP),
        (App, Some(Api | Tooling)) => Some(APP_UP),
        _ => None,
    }
}

/// Checks the output of `cargo metadata --format-version 1 --no-deps`.
pub fn check(metadata: &Value) -> Result<Report, String> {
    let root = metadata["workspace_root"]
        .as_str()
        .ok_or("metadata has no workspace_root")?;
    let packages = metadata["packages"].as_array().ok_or("metadata has no packages")?;

    // Every workspace crate by name, with its folder relative to the root.
    let mut members: BTreeMap<&str, String> = BTreeMap::new();
    for p in packages {
        let name = p["name"].as_str().ok_or("package without a name")?;
        let manifest = p["manifest_path"].as_str().ok_or("package without a manifest_path")?;
        let dir = Path::new(manifest).parent().unwrap_or(Path::new(""));
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        members.insert(name, rel.to_string_lossy().replace('\\', "/"));
    }

    let mut report = Report {
        crates: members.len(),
        ..Report::default()
    };
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default();
        let from_dir = &members[name];
        let Some(from_layer) = Layer::of(from_dir) else {
            continue;
        };
        for dep in p["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default() {
            // `kind` is null for normal dependencies, "build" or "dev" otherwise.
            if dep["kind"].as_str() == Some("dev") {
                continue;
            }
            let Some(to) = dep["name"].as_str() else {
                continue;
            };
            // A path dependency on a workspace member is internal; a registry crate
            // that happens to share a member's name is not.
            let to_layer = match (dep.get("path").and_then(Value::as_str), members.get(to)) {
                (Some(_), Some(dir)) => Layer::of(dir),
                _ => None,
            };
            report.edges += 1;
            if let Some(rule) = broken_rule(from_layer, to, to_layer) {
                let v = Violation {
                    from: name.to_string(),
                    from_dir: from_dir.clone(),
                    to: to.to_string(),
                    rule,
                };
                if !report.violations.contains(&v) {
                    report.violations.push(v);
                }
            }
        }
    }
    Ok(report)
}

/// Runs `cargo metadata --format-version 1 --no-deps` for the workspace that
/// contains `dir` (`$CARGO` if set, so the same toolchain is used).
pub fn workspace_metadata(dir: &Path) -> Result<Value, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {cargo} metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pkg(dir: &str, name: &str, deps: &[(&str, Option<&str>, bool)]) -> Value {
        let deps: Vec<Value> = deps
            .iter()
            .map(|(dep, kind, internal)| {
                let mut d = json!({"name": dep, "kind": kind, "rename": null});
                if *internal {
                    d["path"] = json!(format!("/ws/somewhere/{dep}"));
                }
                d
            })
            .collect();
        json!({"name": name, "manifest_path": format!("/ws/{dir}/Cargo.toml"), "dependencies": deps})
    }

    fn metadata(packages: Vec<Value>) -> Value {
        json!({"workspace_root": "/ws", "packages": packages})
    }

    /// A workspace shaped like this one, every edge allowed.
    fn clean() -> Vec<Value> {
        vec![
            pkg(
                "foundation/web",
                "web",
                &[("axum", None, false), ("tower-http", None, false)],
            ),
            pkg("foundation/keystore", "keystore", &[("rsa", None, false)]),
            pkg("business/sdk", "sdk", &[("sqlx", None, false)]),
            pkg(
                "business/domain/userbus",
                "userbus",
                &[("sdk", None, true), ("axum", Some("dev"), false)],
            ),
            pkg(
                "app/sdk",
                "appsdk",
                &[("web", None, true), ("userbus", None, true), ("axum", None, false)],
            ),
            pkg(
                "app/domain/userapp",
                "userapp",
                &[("appsdk", None, true), ("sales-admin", Some("dev"), true)],
            ),
            pkg(
                "api/services/sales-api",
                "sales-api",
                &[("userapp", None, true), ("hyper", None, false)],
            ),
            pkg(
                "tooling/sales-admin",
                "sales-admin",
                &[("appsdk", None, true), ("sales-api", None, true)],
            ),
        ]
    }

    #[test]
    fn a_clean_workspace_passes() {
        let report = check(&metadata(clean())).unwrap();
        assert_eq!(report.violations, vec![]);
        assert_eq!(report.crates, 8);
    }

    #[test]
    fn every_upward_edge_is_flagged_with_its_rule() {
        let mut pkgs = clean();
        pkgs.push(pkg(
            "business/domain/salebus",
            "salebus",
            &[
                ("axum", None, false),
                ("hyper", Some("build"), false),
                ("appsdk", None, true),
                ("userbus", None, true),
            ],
        ));
        pkgs.push(pkg(
            "foundation/logger",
            "logger",
            &[("userbus", None, true), ("tracing", None, false)],
        ));
        pkgs.push(pkg(
            "app/domain/saleapp",
            "saleapp",
            &[("sales-api", None, true), ("salebus", None, true)],
        ));
        let report = check(&metadata(pkgs)).unwrap();
        let found: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            vec![
                format!("salebus (business/domain/salebus) -> axum: {BUSINESS_HTTP}"),
                format!("salebus (business/domain/salebus) -> hyper: {BUSINESS_HTTP}"),
                format!("salebus (business/domain/salebus) -> appsdk: {BUSINESS_UP}"),
                format!("logger (foundation/logger) -> userbus: {FOUNDATION_UP}"),
                format!("saleapp (app/domain/saleapp) -> sales-api: {APP_UP}"),
            ]
        );
    }

    #[test]
    fn a_registry_crate_named_like_a_member_is_external() {
        // `config` on crates.io is not foundation/config unless it is a path dependency.
        let pkgs = vec![
            pkg("foundation/config", "config", &[]),
            pkg("app/sdk", "appsdk", &[]),
            pkg("foundation/keystore", "keystore", &[("appsdk", None, false)]),
        ];
        assert_eq!(check(&metadata(pkgs)).unwrap().violations, vec![]);
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(check(&json!({})).is_err());
        assert!(check(&json!({"workspace_root": "/ws", "packages": [{"name": "x"}]})).is_err());
    }

    #[test]
    fn layer_comes_from_the_first_folder() {
        assert_eq!(Layer::of("business/domain/userbus"), Some(Layer::Business));
        assert_eq!(Layer::of("foundation/web"), Some(Layer::Foundation));
        assert_eq!(Layer::of("examples/x"), None);
    }
}

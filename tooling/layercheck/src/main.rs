//! `cargo run -p layercheck`: prints every dependency that points up a layer and
//! exits 1 if there is one. CI runs it; `cargo test` runs the same check.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let report = match layercheck::workspace_metadata(&dir).and_then(|m| layercheck::check(&m)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("layercheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    if report.violations.is_empty() {
        println!(
            "layercheck: {} crates, {} dependency edges, no layering violations",
            report.crates, report.edges
        );
        return ExitCode::SUCCESS;
    }
    for v in &report.violations {
        eprintln!("layering violation: {v}");
    }
    eprintln!(
        "layercheck: {} violation(s); a crate may only depend downward: app -> business -> foundation",
        report.violations.len()
    );
    ExitCode::FAILURE
}

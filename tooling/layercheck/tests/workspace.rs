//! The real workspace obeys the layering rule; `cargo test --workspace` fails
//! (printing the offending edges) as soon as a crate depends upward.

#[test]
fn workspace_dependencies_only_point_down() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let metadata = layercheck::workspace_metadata(dir).expect("cargo metadata");
    let report = layercheck::check(&metadata).expect("well-formed metadata");
    assert!(report.crates >= 10, "metadata lists the workspace crates: {report:?}");
    let lines: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "layering violations:\n{}", lines.join("\n"));
}

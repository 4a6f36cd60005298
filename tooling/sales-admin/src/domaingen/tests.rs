//! Unit tests of the generator: parsing, refusals, markers, idempotency (on a temp
//! copy of the files it touches) and snapshots of every template's output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::spec::{Kind, Modifiers, parse_field, parse_names, pluralize};
use super::*;

/// The workspace this crate lives in.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The representative field set of the snapshots and the CI check: every type.
const EVERY_TYPE: &[&str] = &[
    "title:string",
    "notes:text:optional",
    "count:int",
    "price:money",
    "active:bool",
    "due:timestamp:optional",
    "ref_code:uuid:unique",
    "owner:user",
    "buyer:user",
    "tags:string[]",
    "scores:int[]",
    "refs:uuid[]",
    "flags:bool[]",
];

/// A temp directory holding the files the generator reads and writes, copied
/// from the workspace, plus a stand-in hand-written `productbus`.
fn temp_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = workspace();
    let mut files: Vec<String> = insertions(&parse_names("widget", None).unwrap())
        .into_iter()
        .map(|i| i.file.to_string())
        .collect();
    files.push("rustfmt.toml".into());
    for backend in ["pg", "sqlite"] {
        for e in std::fs::read_dir(src.join("business/sdk/migrations").join(backend)).unwrap() {
            let p = e.unwrap().path();
            files.push(p.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    files.push("business/domain/productbus/src/lib.rs".into());
    files.push("business/domain/productbus/Cargo.toml".into());
    files.sort();
    files.dedup();
    for f in files {
        let to = dir.path().join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&f), &to).unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
    dir
}

/// The paths whose content differs between two trees (or that only one has).
fn changed(a: &BTreeMap<PathBuf, String>, b: &BTreeMap<PathBuf, String>) -> Vec<PathBuf> {
    let keys: std::collections::BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// Every file under `root` with its content.
fn snapshot_tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

fn opts(root: &Path, name: &str, fields: &[&str]) -> NewDomain {
    NewDomain {
        name: name.into(),
        fields: fields.iter().map(|s| s.to_string()).collect(),
        plural: None,
        dry_run: false,
        root: root.to_path_buf(),
    }
}

fn run(o: &NewDomain) -> anyhow::Result<String> {
    let mut out = Vec::new();
    run_new(o, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn fields_parse_with_type_and_modifiers() {
    let f = parse_field("email:string:unique").unwrap();
    assert_eq!(
        (f.name.as_str(), f.kind, f.mods.unique, f.mods.optional),
        ("email", Kind::String, true, false)
    );
    let f = parse_field("due_at:timestamp:optional").unwrap();
    assert_eq!((f.kind, f.mods.optional), (Kind::Timestamp, true));
    let f = parse_field("tags:string[]").unwrap();
    assert_eq!((f.kind, f.mods), (Kind::StringArray, Modifiers::default()));
    assert_eq!(f.column(), "tags");
    let f = parse_field("unit_price:money:optional:unique").unwrap_err();
    assert!(f.0.contains("cannot be unique"), "{f}");
    let f = parse_field("unit_price:money").unwrap();
    assert_eq!(
        (f.column(), f.json(), f.pascal()),
        ("unit_price_cents".into(), "unitPrice".into(), "UnitPrice".into())
    );
    for kind in spec::KINDS.iter() {
        assert_eq!(parse_field(&format!("x1:{}", kind.name)).unwrap().kind, kind.kind);
    }
}

#[test]
fn bad_fields_are_refused_with_a_reason() {
    let cases = [
        ("title", "expected NAME:TYPE"),
        ("title:str", "unknown type \"str\""),
        ("title:float[]", "lists: string[]"),
        ("Title:string", "not a snake_case identifier"),
        ("9lives:int", "not a snake_case identifier"),
        ("a__b:int", "not a snake_case identifier"),
        ("type:string", "Rust keyword"),
        ("order:int", "SQL reserved word"),
        ("user:user", "SQL reserved word"),
        ("version:int", "built in"),
        ("user_id:uuid", "built in"),
        ("title:string:required", "unknown modifier"),
        ("title:string:unique:unique", "given twice"),
        ("done:bool:unique", "cannot be unique"),
    ];
    for (raw, want) in cases {
        let err = parse_field(raw).unwrap_err().to_string();
        assert!(err.contains(want), "{raw}: {err}");
    }
}

#[test]
fn domain_names_are_one_lowercase_word_and_not_reserved() {
    let n = parse_names("widget", None).unwrap();
    assert_eq!(
        (
            n.plural.as_str(),
            n.pascal.as_str(),
            n.pascal_plural.as_str(),
            n.upper.as_str(),
            n.bus.as_str(),
            n.app.as_str()
        ),
        ("widgets", "Widget", "Widgets", "WIDGET", "widgetbus", "widgetapp")
    );
    assert_eq!(pluralize("box"), "boxes");
    assert_eq!(pluralize("story"), "stories");
    assert_eq!(pluralize("day"), "days");
    assert_eq!(pluralize("bus"), "buses");
    assert_eq!(parse_names("person", Some("people")).unwrap().plural, "people");
    for (bad, want) in [
        ("Widget", "one lowercase word"),
        ("gift_card", "one lowercase word"),
        ("w", "one lowercase word"),
        ("9tails", "one lowercase word"),
        ("type", "Rust keyword"),
        ("select", "SQL reserved word"),
        ("grant", "SQL reserved word"),
    ] {
        let err = parse_names(bad, None).unwrap_err().to_string();
        assert!(err.contains(want), "{bad}: {err}");
    }
    assert!(parse_names("sheep", Some("sheep")).is_err(), "plural must differ");
}

#[test]
fn field_sets_are_checked_together() {
    let n = parse_names("widget", None).unwrap();
    let f = |raws: &[&str]| raws.iter().map(|r| parse_field(r).unwrap()).collect::<Vec<_>>();
    assert!(
        spec::check_fields(&n, &[])
            .unwrap_err()
            .0
            .contains("at least one --field")
    );
    assert!(
        spec::check_fields(&n, &f(&["a1:int", "a1:string"]))
            .unwrap_err()
            .0
            .contains("used twice")
    );
    assert!(
        spec::check_fields(&n, &f(&["price:money", "price_cents:int"]))
            .unwrap_err()
            .0
            .contains("price_cents")
    );
    assert!(
        spec::check_fields(&n, &f(&["widget_id:uuid"]))
            .unwrap_err()
            .0
            .contains("widget_id")
    );
    spec::check_fields(
        &n,
        &f(EVERY_TYPE
            .iter()
            .filter(|s| **s != "owner:user")
            .copied()
            .collect::<Vec<_>>()
            .as_slice()),
    )
    .unwrap();
}

#[test]
fn insertion_goes_above_the_marker_with_its_indentation() {
    let text = "a\n    // @generator:routes\n    // @generator:routes-extra\nb\n";
    let ins = Insertion {
        file: "x.rs",
        marker: "// @generator:routes",
        lines: vec![".merge(x)".into()],
    };
    assert_eq!(
        apply_insertion(text, &ins).unwrap(),
        "a\n    .merge(x)\n    // @generator:routes\n    // @generator:routes-extra\nb\n"
    );
    let prefix_only = Insertion {
        marker: "// @generator:rout",
        ..ins
    };
    assert_eq!(
        apply_insertion(text, &prefix_only),
        None,
        "a marker matches whole, not as a prefix"
    );
}

#[test]
fn a_missing_marker_is_an_error_naming_file_and_marker_and_nothing_is_written() {
    let dir = temp_copy();
    let build = dir.path().join("api/services/sales-api/src/build.rs");
    let text = std::fs::read_to_string(&build)
        .unwrap()
        .replace("// @generator:routes", "// routes");
    std::fs::write(&build, text).unwrap();
    let before = snapshot_tree(dir.path());
    let err = run(&opts(dir.path(), "widget", &["title:string"]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("api/services/sales-api/src/build.rs: marker `// @generator:routes` not found"),
        "{err}"
    );
    assert_eq!(
        changed(&snapshot_tree(dir.path()), &before),
        Vec::<PathBuf>::new(),
        "nothing written"
    );

    std::fs::remove_file(dir.path().join("api/services/sales-api/tests/it/main.rs")).unwrap();
    let err = run(&opts(dir.path(), "widget", &["title:string"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 marker(s) missing"), "{err}");
    assert!(
        err.contains("api/services/sales-api/tests/it/main.rs: file not found"),
        "{err}"
    );
}

#[test]
fn second_run_changes_nothing_and_says_unchanged() {
    let dir = temp_copy();
    let o = opts(dir.path(), "widget", EVERY_TYPE);
    let first = run(&o).unwrap();
    assert!(
        first.contains("create  business/domain/widgetbus/src/lib.rs"),
        "{first}"
    );
    assert!(
        first.contains("insert  api/services/sales-api/src/build.rs at // @generator:routes"),
        "{first}"
    );
    assert!(first.contains("note: owner:user is the built-in owner"), "{first}");
    let after_first = snapshot_tree(dir.path());
    let migrations: Vec<_> = after_first
        .keys()
        .filter(|p| p.to_string_lossy().ends_with("_widgets.sql"))
        .collect();
    assert_eq!(migrations.len(), 2, "one migration per backend");

    let second = run(&o).unwrap();
    assert_eq!(
        changed(&snapshot_tree(dir.path()), &after_first),
        Vec::<PathBuf>::new(),
        "the second run wrote nothing"
    );
    assert!(
        second.contains("unchanged: domain \"widget\" is already in place"),
        "{second}"
    );
    assert!(
        second
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .take(29)
            .all(|l| l.starts_with("unchanged")),
        "{second}"
    );

    // The same name with other fields is refused, not merged.
    let err = run(&opts(dir.path(), "widget", &["title:string", "size:int"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(changed(&snapshot_tree(dir.path()), &after_first), Vec::<PathBuf>::new());

    // `domain list` shows it beside the hand-written one.
    let domains = list(dir.path()).unwrap();
    let names: Vec<_> = domains
        .iter()
        .map(|d| (d.name.as_str(), d.app, d.mounted, d.generated))
        .collect();
    assert_eq!(names, [("product", false, true, false), ("widget", true, true, true)]);
}

#[test]
fn dry_run_prints_files_and_insertions_and_writes_nothing() {
    let dir = temp_copy();
    let before = snapshot_tree(dir.path());
    let o = NewDomain {
        dry_run: true,
        ..opts(dir.path(), "widget", &["title:string", "price:money"])
    };
    let out = run(&o).unwrap();
    assert_eq!(changed(&snapshot_tree(dir.path()), &before), Vec::<PathBuf>::new());
    assert!(
        out.contains("would create  business/domain/widgetbus/src/stores/store.rs"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "would create  business/sdk/migrations/pg/{:04}_widgets.sql",
            migration_number(dir.path(), "widgets").unwrap()
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "would insert  Cargo.toml at # @generator:workspace-members:\n    + \"business/domain/widgetbus\","
        ),
        "{out}"
    );
    assert!(out.contains("    + Domain::Widget => \"WIDGET\","), "{out}");
    assert!(out.ends_with("dry run: nothing written\n"), "{out}");
}

#[test]
fn existing_domains_and_taken_names_are_refused() {
    let dir = temp_copy();
    let before = snapshot_tree(dir.path());
    let err = run(&opts(dir.path(), "product", &["title:string"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("domain \"product\" already exists"), "{err}");
    // `counter` -> `counters`, already a field of Deps.
    let err = run(&opts(dir.path(), "counter", &["title:string"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("build.rs already has a field with this name"), "{err}");
    // A table another migration made.
    let err = run(&opts(dir.path(), "sale", &["title:string"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("already"), "{err}");
    let err = run(&opts(dir.path(), "thing", &["select:string"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("SQL reserved word"), "{err}");
    assert_eq!(changed(&snapshot_tree(dir.path()), &before), Vec::<PathBuf>::new());
}

/// Snapshots of every template's output for the representative field set.
#[test]
fn template_output_snapshots() {
    let names = parse_names("widget", None).unwrap();
    let fields: Vec<_> = EVERY_TYPE
        .iter()
        .filter(|s| **s != "owner:user")
        .map(|s| parse_field(s).unwrap())
        .collect();
    let c = ctx::Ctx::new(names, &fields, 6);
    let files = render::files(&c, Some(&workspace().join("rustfmt.toml"))).unwrap();
    assert_eq!(files.len(), 15);
    for f in &files {
        let name = f.path.replace(['/', '.'], "_");
        let description = format!("{} (template {})", f.path, f.template);
        insta::with_settings!({
            description => description,
            omit_expression => true,
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, f.content);
        });
    }
}

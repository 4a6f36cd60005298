//! `sales-admin domain new|list`: the domain generator.
//!
//! `new` renders the templates into new files and registers the domain in
//! existing files, only at `@generator:` marker comments. It checks everything
//! first (names, markers, existing files) and writes nothing when a check fails.
//! Running it again with the same arguments finds every file and line in place
//! and changes nothing.

pub mod ctx;
pub mod render;
pub mod spec;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use self::ctx::Ctx;
use self::render::GenFile;
use self::spec::{Field, Names};

/// One registration: `lines` go just above the line holding `marker` in `file`,
/// with the marker's indentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    pub file: &'static str,
    pub marker: &'static str,
    pub lines: Vec<String>,
}

/// The registrations of a domain: every place a hand-written domain is named.
pub fn insertions(n: &Names) -> Vec<Insertion> {
    let ins = |file, marker, lines: Vec<String>| Insertion { file, marker, lines };
    let (name, plural, pascal, bus, app) = (&n.name, &n.plural, &n.pascal, &n.bus, &n.app);
    let _ = name;
    vec![
        ins(
            "Cargo.toml",
            "# @generator:workspace-members",
            vec![format!("\"business/domain/{bus}\","), format!("\"app/domain/{app}\",")],
        ),
        ins(
            "Cargo.toml",
            "# @generator:workspace-deps",
            vec![
                format!("{bus} = {{ path = \"business/domain/{bus}\" }}"),
                format!("{app} = {{ path = \"app/domain/{app}\" }}"),
            ],
        ),
        ins(
            "api/services/sales-api/Cargo.toml",
            "# @generator:service-deps",
            vec![format!("{bus}.workspace = true"), format!("{app}.workspace = true")],
        ),
        ins(
            "api/services/sales-api/src/build.rs",
            "// @generator:deps-field",
            vec![format!("pub {plural}: {bus}::Business,")],
        ),
        ins(
            "api/services/sales-api/src/build.rs",
            "// @generator:deps-build",
            vec![format!("let {plural} = {bus}::Business::new({bus}::stores::new(&db));")],
        ),
        ins(
            "api/services/sales-api/src/build.rs",
            "// @generator:deps-init",
            vec![format!("{plural},")],
        ),
        ins(
            "api/services/sales-api/src/build.rs",
            "// @generator:routes",
            vec![format!(".merge({app}::routes(d.{plural}.clone()))")],
        ),
        ins(
            "api/services/sales-api/src/docs.rs",
            "// @generator:openapi",
            vec![format!("{app}::ApiDoc::openapi(),")],
        ),
        ins(
            "business/domain/auditbus/src/lib.rs",
            "// @generator:audit-domain",
            vec![format!("{pascal},")],
        ),
        ins(
            "business/domain/auditbus/src/lib.rs",
            "// @generator:audit-domain-str",
            vec![format!("Domain::{pascal} => \"{}\",", n.upper)],
        ),
        ins(
            "business/domain/auditbus/src/lib.rs",
            "// @generator:audit-domain-parse",
            vec![format!("Domain::{pascal},")],
        ),
        ins(
            "api/services/sales-api/tests/it/main.rs",
            "// @generator:api-test-modules",
            vec![format!("mod {plural};")],
        ),
        ins(
            "api/services/sales-api/tests/it/openapi.rs",
            "// @generator:openapi-tags",
            vec![format!("\"{plural}\",")],
        ),
    ]
}

/// A marker is found only as a whole comment: the trimmed line starts with it.
fn marker_line(text: &str, marker: &str) -> Option<usize> {
    text.lines().position(|l| {
        let l = l.trim();
        l.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
    })
}

/// True when every line of `ins` is already in `text`: as a whole line (trimmed,
/// anywhere: rustfmt may have moved a `mod` line), or, for a list item ending in
/// `,`, as one item of a line rustfmt packed with others (`"a", "b", "c",`).
fn already_there(text: &str, ins: &Insertion) -> bool {
    let lines: BTreeSet<&str> = text.lines().map(str::trim).collect();
    let items: BTreeSet<&str> = text
        .lines()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    ins.lines.iter().all(|l| {
        lines.contains(l.as_str())
            || l.strip_suffix(',')
                .is_some_and(|item| !item.contains(',') && items.contains(item.trim()))
    })
}

/// `text` with `ins` placed above its marker.
pub fn apply_insertion(text: &str, ins: &Insertion) -> Option<String> {
    let at = marker_line(text, ins.marker)?;
    let lines: Vec<&str> = text.lines().collect();
    let indent: String = lines[at].chars().take_while(|c| c.is_whitespace()).collect();
    let mut out = String::with_capacity(text.len() + 200);
    for (i, l) in lines.iter().enumerate() {
        if i == at {
            for new in &ins.lines {
                let _ = writeln!(out, "{indent}{new}");
            }
        }
        out.push_str(l);
        out.push('\n');
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    Some(out)
}

/// The options of `domain new`.
#[derive(Debug, Clone)]
pub struct NewDomain {
    pub name: String,
    pub fields: Vec<String>,
    pub plural: Option<String>,
    pub dry_run: bool,
    pub root: PathBuf,
}

/// What `new` would do: files to create and registrations to make. Entries that
/// are already in place are kept with `unchanged = true`.
#[derive(Debug, Clone)]
pub struct Plan {
    pub names: Names,
    pub files: Vec<(GenFile, bool)>,
    pub insertions: Vec<(Insertion, bool)>,
    /// Remarks for the user (e.g. how `owner:user` was read).
    pub notes: Vec<String>,
}

impl Plan {
    pub fn is_noop(&self) -> bool {
        self.files.iter().all(|(_, u)| *u) && self.insertions.iter().all(|(_, u)| *u)
    }
}

fn read(root: &Path, rel: &str) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(root.join(rel)) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {rel}")),
    }
}

/// The migration number for `plural`: the one it already has, else the next free one.
fn migration_number(root: &Path, plural: &str) -> anyhow::Result<u32> {
    let mut max = 0;
    for backend in ["pg", "sqlite"] {
        let dir = root.join("business/sdk/migrations").join(backend);
        let entries = std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in entries {
            let name = e?.file_name().to_string_lossy().to_string();
            let Some((num, rest)) = name.split_once('_') else {
                continue;
            };
            let Ok(num) = num.parse::<u32>() else { continue };
            if rest == format!("{plural}.sql") {
                return Ok(num);
            }
            max = max.max(num);
        }
    }
    Ok(max + 1)
}

/// Checks everything and works out the plan; writes nothing.
pub fn plan(opts: &NewDomain) -> anyhow::Result<Plan> {
    let root = &opts.root;
    let names = spec::parse_names(&opts.name, opts.plural.as_deref())?;
    let fields: Vec<Field> = opts
        .fields
        .iter()
        .map(|f| spec::parse_field(f))
        .collect::<Result<_, _>>()?;
    // `owner:user` is the built-in owner (`user_id`), not a second column.
    let mut notes = Vec::new();
    let is_owner = |f: &Field| f.name == "owner" && f.kind == spec::Kind::User;
    if let Some(f) = fields.iter().find(|f| is_owner(f)) {
        if f.mods != spec::Modifiers::default() {
            bail!(
                "field \"owner\": owner:user is the built-in owner (user_id, set from the caller's token); it takes no modifiers"
            );
        }
        notes.push(
            "owner:user is the built-in owner: column user_id (JSON userID), set from the caller's token on create; \
             the OWNER|ADMIN rule checks it"
                .to_string(),
        );
    }
    let fields: Vec<Field> = fields.into_iter().filter(|f| !is_owner(f)).collect();
    spec::check_fields(&names, &fields)?;

    // Every marker, before anything else touches the disk.
    let all = insertions(&names);
    let mut missing = Vec::new();
    for ins in &all {
        match read(root, ins.file)? {
            None => missing.push(format!(
                "{}: file not found (looking for marker `{}`)",
                ins.file, ins.marker
            )),
            Some(text) if marker_line(&text, ins.marker).is_none() => {
                missing.push(format!("{}: marker `{}` not found", ins.file, ins.marker))
            }
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        bail!(
            "cannot register the domain: {} marker(s) missing (restore them; the generator only writes at markers):\n  {}",
            missing.len(),
            missing.join("\n  ")
        );
    }

    let migration = migration_number(root, &names.plural)?;
    let c = Ctx::new(names.clone(), &fields, migration);
    let cfg = root.join("rustfmt.toml");
    let generated = render::files(&c, cfg.exists().then_some(cfg.as_path()))?;

    // Existing files must be exactly what we would write (a re-run), else the
    // name is taken.
    let mut files = Vec::new();
    let mut differing = Vec::new();
    for f in generated {
        match read(root, &f.path)? {
            None => files.push((f, false)),
            Some(existing) if existing == f.content => files.push((f, true)),
            Some(_) => {
                differing.push(f.path.clone());
                files.push((f, false));
            }
        }
    }
    for dir in [
        format!("business/domain/{}", names.bus),
        format!("app/domain/{}", names.app),
    ] {
        if root.join(&dir).exists()
            && files.iter().all(|(f, u)| !f.path.starts_with(&dir) || !u)
            && differing.is_empty()
        {
            differing.push(dir);
        }
    }
    if !differing.is_empty() {
        let shown = match differing.len() {
            1..=3 => differing.join(", "),
            n => format!("{} and {} more", differing[..2].join(", "), n - 2),
        };
        bail!(
            "domain {:?} already exists or its names are taken: {shown} differ(s) from what this command would \
             write.\n  Existing domains are never overwritten; pick another name (or --plural), or delete the files first.",
            names.name,
        );
    }
    let mut insertions = Vec::new();
    for ins in all {
        let text = read(root, ins.file)?.unwrap_or_default();
        let done = already_there(&text, &ins);
        if !done {
            clash(&names, &ins, &text)?;
        }
        insertions.push((ins, done));
    }
    // A table of that name made by another migration.
    for backend in ["pg", "sqlite"] {
        let dir = root.join("business/sdk/migrations").join(backend);
        for e in std::fs::read_dir(&dir)? {
            let path = e?.path();
            let ours = files.iter().any(|(f, _)| root.join(&f.path) == path);
            let sql = std::fs::read_to_string(&path).unwrap_or_default().to_ascii_lowercase();
            if !ours && sql.contains(&format!("create table {} ", names.plural)) {
                bail!(
                    "table {:?} already exists ({}); pick another name or --plural",
                    names.plural,
                    path.strip_prefix(root).unwrap_or(&path).display()
                );
            }
        }
    }
    Ok(Plan {
        names,
        files,
        insertions,
        notes,
    })
}

/// Refuses a registration whose name is already used for something else.
fn clash(n: &Names, ins: &Insertion, text: &str) -> anyhow::Result<()> {
    let taken = |needle: String, what: &str| -> anyhow::Result<()> {
        if text.lines().any(|l| l.trim_start().starts_with(&needle)) {
            bail!(
                "{} already has {what} ({}); pick another name or --plural",
                ins.file,
                needle.trim()
            );
        }
        Ok(())
    };
    match ins.marker {
        "// @generator:deps-field" => taken(format!("pub {}:", n.plural), "a field with this name"),
        "// @generator:audit-domain" => taken(format!("{},", n.pascal), "an audit domain with this name"),
        "# @generator:workspace-deps" => taken(format!("{} =", n.bus), "a crate with this name"),
        "// @generator:api-test-modules" => taken(format!("mod {};", n.plural), "a test module with this name"),
        _ => Ok(()),
    }
}

/// What `new` prints and does.
pub fn run_new(opts: &NewDomain, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let plan = plan(opts)?;
    for note in &plan.notes {
        writeln!(out, "note: {note}")?;
    }
    let verb = if opts.dry_run { "would create" } else { "create" };
    for (f, unchanged) in &plan.files {
        if *unchanged {
            writeln!(out, "unchanged  {}", f.path)?;
        } else {
            writeln!(out, "{verb}  {} ({} lines)", f.path, f.content.lines().count())?;
        }
    }
    for (ins, unchanged) in &plan.insertions {
        if *unchanged {
            writeln!(out, "unchanged  {} at {}", ins.file, ins.marker)?;
        } else {
            let verb = if opts.dry_run { "would insert" } else { "insert" };
            writeln!(out, "{verb}  {} at {}:", ins.file, ins.marker)?;
            for l in &ins.lines {
                writeln!(out, "    + {l}")?;
            }
        }
    }
    if opts.dry_run {
        writeln!(out, "dry run: nothing written")?;
        return Ok(());
    }
    if plan.is_noop() {
        writeln!(out, "unchanged: domain {:?} is already in place", plan.names.name)?;
        return Ok(());
    }
    apply(&opts.root, &plan)?;
    let n = &plan.names;
    writeln!(
        out,
        "\ndomain {:?} created. Next:\n  \
         1. business rules: business/domain/{}/src/lib.rs (Business::create/update), validation: app/domain/{}/src/model.rs\n  \
         2. build and test: cargo nextest run -p {} && cargo nextest run -p sales-api -E 'test(/^{}::/)'\n  \
         3. refresh the committed OpenAPI document: UPDATE_OPENAPI=1 cargo nextest run -p sales-api openapi\n  \
         4. try it: make run, then TOKEN=$(make -s token) and curl -H \"Authorization: Bearer $TOKEN\" localhost:3000/v1/{}",
        n.name, n.bus, n.app, n.bus, n.plural, n.plural
    )?;
    Ok(())
}

/// Writes the plan: new files first, then the registrations; then rustfmt over
/// the Rust files that got a line (rustfmt keeps `mod` lines sorted).
pub fn apply(root: &Path, plan: &Plan) -> anyhow::Result<()> {
    for (f, unchanged) in &plan.files {
        if *unchanged {
            continue;
        }
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, &f.content).with_context(|| format!("writing {}", f.path))?;
    }
    // Consecutive insertions into one file build on each other; Rust files are
    // formatted at the end (rustfmt keeps `mod` lines sorted), from memory so it
    // never wanders into the files their `mod` lines name.
    let mut edited: BTreeMap<&str, String> = BTreeMap::new();
    for (ins, unchanged) in &plan.insertions {
        if *unchanged {
            continue;
        }
        let text = match edited.remove(ins.file) {
            Some(t) => t,
            None => read(root, ins.file)?.unwrap_or_default(),
        };
        let new =
            apply_insertion(&text, ins).with_context(|| format!("{}: marker `{}` vanished", ins.file, ins.marker))?;
        edited.insert(ins.file, new);
    }
    let cfg = root.join("rustfmt.toml");
    for (file, mut text) in edited {
        if file.ends_with(".rs") {
            text = render::rustfmt(&text, cfg.exists().then_some(cfg.as_path()))
                .with_context(|| format!("formatting {file}"))?;
        }
        std::fs::write(root.join(file), text).with_context(|| format!("writing {file}"))?;
    }
    Ok(())
}

/// One row of `domain list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInfo {
    pub name: String,
    pub app: bool,
    pub mounted: bool,
    pub generated: bool,
}

/// The domains present: `business/domain/<name>bus`, with their app crate and
/// whether the service mounts their routes.
pub fn list(root: &Path) -> anyhow::Result<Vec<DomainInfo>> {
    let dir = root.join("business/domain");
    let build = read(root, "api/services/sales-api/src/build.rs")?.unwrap_or_default();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let file = e.file_name().to_string_lossy().to_string();
        let Some(name) = file.strip_suffix("bus") else { continue };
        if !e.path().join("Cargo.toml").exists() {
            continue;
        }
        let lib = std::fs::read_to_string(e.path().join("src/lib.rs")).unwrap_or_default();
        out.push(DomainInfo {
            name: name.to_string(),
            app: root.join(format!("app/domain/{name}app/Cargo.toml")).exists(),
            mounted: build.contains(&format!("{name}app::routes(")),
            generated: lib.contains("made by `sales-admin domain new"),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The workspace root: `--root`, else the nearest directory upwards whose
/// Cargo.toml has a `[workspace]`.
pub fn find_root(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(r) = given {
        if !r.join("Cargo.toml").exists() {
            bail!("--root {}: no Cargo.toml there", r.display());
        }
        return Ok(r);
    }
    let mut dir = std::env::current_dir()?;
    loop {
        let toml = dir.join("Cargo.toml");
        if std::fs::read_to_string(&toml).is_ok_and(|s| s.contains("[workspace]")) {
            return Ok(dir);
        }
        if !dir.pop() {
            bail!("not inside the workspace (no Cargo.toml with [workspace] above the current directory); use --root");
        }
    }
}

#[cfg(test)]
mod tests;

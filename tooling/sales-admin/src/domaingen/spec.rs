//! What a domain is made of: its names and its fields. One table, [`KINDS`], says
//! for every field type how it looks in Rust, in each database, on the wire, how it
//! is validated and filtered, and which values the generated tests use.

use std::fmt;

/// A field type of `--field name:type[:modifier...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Text,
    Int,
    Money,
    Bool,
    Timestamp,
    Uuid,
    /// A reference to a user (`users.user_id`), checked by a foreign key.
    User,
    StringArray,
    IntArray,
    UuidArray,
    BoolArray,
}

/// How list endpoints filter on a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    None,
    /// `column = value`.
    Exact,
    /// Case-insensitive substring, `%` and `_` literal.
    Substring,
}

/// One row of the field-type table.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: Kind,
    /// As written on the command line.
    pub name: &'static str,
    /// The business type.
    pub rust: &'static str,
    /// Column type per backend.
    pub pg: &'static str,
    pub sqlite: &'static str,
    /// The type of the column in the store's row struct.
    pub row: &'static str,
    pub filter: Filter,
    /// Whether `orderBy` accepts it (same order on both backends).
    pub orderable: bool,
    /// Whether `:unique` makes sense.
    pub unique_ok: bool,
    /// The `#[validate(...)]` rule of the request field, if any.
    pub rule: Option<&'static str>,
    /// What the API documentation says about the value.
    pub doc: &'static str,
    /// `#[schema(...)]` attributes of the request/response field, if any.
    pub schema: Option<&'static str>,
    /// A JSON value the API refuses for this field (400 naming the field).
    pub invalid_json: &'static str,
}

pub const KINDS: [KindInfo; 12] = [
    KindInfo {
        kind: Kind::String,
        name: "string",
        rust: "String",
        pg: "TEXT",
        sqlite: "TEXT",
        row: "String",
        filter: Filter::Substring,
        orderable: true,
        unique_ok: true,
        rule: Some(
            r#"length(min = 1, max = 200, message = "must be 1 to 200 characters"), custom(function = "appsdk::errs::no_nul")"#,
        ),
        doc: "1 to 200 characters.",
        schema: Some("min_length = 1, max_length = 200"),
        invalid_json: r#""""#,
    },
    KindInfo {
        kind: Kind::Text,
        name: "text",
        rust: "String",
        pg: "TEXT",
        sqlite: "TEXT",
        row: "String",
        filter: Filter::None,
        orderable: false,
        unique_ok: false,
        rule: Some(
            r#"length(max = 10000, message = "must be at most 10000 characters"), custom(function = "appsdk::errs::no_nul")"#,
        ),
        doc: "Free text, at most 10000 characters.",
        schema: Some("max_length = 10000"),
        invalid_json: "42",
    },
    KindInfo {
        kind: Kind::Int,
        name: "int",
        rust: "i64",
        pg: "BIGINT",
        sqlite: "INTEGER",
        row: "i64",
        filter: Filter::Exact,
        orderable: true,
        unique_ok: true,
        rule: None,
        doc: "A whole number.",
        schema: None,
        invalid_json: r#""many""#,
    },
    KindInfo {
        kind: Kind::Money,
        name: "money",
        rust: "Money",
        pg: "BIGINT",
        sqlite: "INTEGER",
        row: "i64",
        filter: Filter::Exact,
        orderable: true,
        unique_ok: false,
        rule: Some(r#"custom(function = "not_negative")"#),
        doc: "An amount of money, 0 or more, at most 2 decimals.",
        schema: Some("value_type = appsdk::docs::MoneySchema"),
        invalid_json: "-1",
    },
    KindInfo {
        kind: Kind::Bool,
        name: "bool",
        rust: "bool",
        pg: "BOOLEAN",
        sqlite: "BOOLEAN",
        row: "bool",
        filter: Filter::Exact,
        orderable: false,
        unique_ok: false,
        rule: None,
        doc: "true or false.",
        schema: None,
        invalid_json: r#""yes""#,
    },
    KindInfo {
        kind: Kind::Timestamp,
        name: "timestamp",
        rust: "OffsetDateTime",
        pg: "TIMESTAMPTZ",
        sqlite: "TEXT",
        row: "OffsetDateTime",
        filter: Filter::None,
        orderable: true,
        unique_ok: false,
        rule: None,
        doc: "An RFC 3339 time, e.g. `2026-05-01T10:00:00Z`.",
        schema: None,
        invalid_json: r#""yesterday""#,
    },
    KindInfo {
        kind: Kind::Uuid,
        name: "uuid",
        rust: "Uuid",
        pg: "UUID",
        sqlite: "BLOB",
        row: "Uuid",
        filter: Filter::Exact,
        orderable: true,
        unique_ok: true,
        rule: None,
        doc: "A UUID.",
        schema: None,
        invalid_json: r#""not-a-uuid""#,
    },
    KindInfo {
        kind: Kind::User,
        name: "user",
        rust: "Uuid",
        pg: "UUID",
        sqlite: "BLOB",
        row: "Uuid",
        filter: Filter::Exact,
        orderable: false,
        unique_ok: true,
        rule: None,
        doc: "The id of an existing user.",
        schema: None,
        invalid_json: r#""not-a-uuid""#,
    },
    KindInfo {
        kind: Kind::StringArray,
        name: "string[]",
        rust: "Vec<String>",
        pg: "TEXT[]",
        sqlite: "TEXT",
        row: "DbArray<String>",
        filter: Filter::None,
        orderable: false,
        unique_ok: false,
        rule: Some(r#"length(max = 100, message = "must have at most 100 items")"#),
        doc: "A list of at most 100 strings.",
        schema: None,
        invalid_json: r#""not-a-list""#,
    },
    KindInfo {
        kind: Kind::IntArray,
        name: "int[]",
        rust: "Vec<i64>",
        pg: "BIGINT[]",
        sqlite: "TEXT",
        row: "DbArray<i64>",
        filter: Filter::None,
        orderable: false,
        unique_ok: false,
        rule: Some(r#"length(max = 100, message = "must have at most 100 items")"#),
        doc: "A list of at most 100 whole numbers.",
        schema: None,
        invalid_json: r#""not-a-list""#,
    },
    KindInfo {
        kind: Kind::UuidArray,
        name: "uuid[]",
        rust: "Vec<Uuid>",
        pg: "UUID[]",
        sqlite: "TEXT",
        row: "DbArray<Uuid>",
        filter: Filter::None,
        orderable: false,
        unique_ok: false,
        rule: Some(r#"length(max = 100, message = "must have at most 100 items")"#),
        doc: "A list of at most 100 UUIDs.",
        schema: None,
        invalid_json: r#""not-a-list""#,
    },
    KindInfo {
        kind: Kind::BoolArray,
        name: "bool[]",
        rust: "Vec<bool>",
        pg: "BOOLEAN[]",
        sqlite: "TEXT",
        row: "DbArray<bool>",
        filter: Filter::None,
        orderable: false,
        unique_ok: false,
        rule: Some(r#"length(max = 100, message = "must have at most 100 items")"#),
        doc: "A list of at most 100 booleans.",
        schema: None,
        invalid_json: r#""not-a-list""#,
    },
];

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        KINDS.iter().find(|k| k.kind == self).expect("every kind has a row")
    }

    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.iter().find(|k| k.name == s).map(|k| k.kind)
    }

    pub fn is_array(self) -> bool {
        matches!(
            self,
            Kind::StringArray | Kind::IntArray | Kind::UuidArray | Kind::BoolArray
        )
    }

    /// The business value of test item `i` (0, 1, 2), increasing with `i` where
    /// the kind is orderable. `users` are expressions of existing user ids.
    pub fn bus_value(self, i: usize, users: [&str; 3]) -> String {
        match self {
            Kind::String => format!("{:?}.to_string()", ["Alpha", "Bravo", "Charlie"][i]),
            Kind::Text => format!("{:?}.to_string()", ["First note", "Second note", "Third note"][i]),
            Kind::Int => format!("{}", [10, 20, 30][i]),
            Kind::Money => format!("Money::from_cents({})", [1999, 2500, 30001][i]),
            Kind::Bool => format!("{}", [true, false, true][i]),
            Kind::Timestamp => format!(
                "time::macros::datetime!({})",
                ["2026-05-01 10:00 UTC", "2026-06-02 11:30 UTC", "2026-07-03 12:45 UTC"][i]
            ),
            Kind::Uuid => format!("Uuid::from_u128({})", [0x1111, 0x2222, 0x3333][i]),
            Kind::User => users[i].to_string(),
            Kind::StringArray => format!(
                "vec![{}]",
                [
                    r#""red".to_string(), "blue".to_string()"#,
                    r#""green".to_string()"#,
                    r#""yellow".to_string()"#
                ][i]
            ),
            Kind::IntArray => format!("vec![{}]", ["1, 2, 3", "5", "7, 8"][i]),
            Kind::UuidArray => format!(
                "vec![{}]",
                [
                    "Uuid::from_u128(1), Uuid::from_u128(2)",
                    "Uuid::from_u128(3)",
                    "Uuid::from_u128(4)"
                ][i]
            ),
            Kind::BoolArray => format!("vec![{}]", ["true, false", "true", "false"][i]),
        }
    }

    /// The JSON value of test item `i`, as the API returns it. `users` are Rust
    /// expressions of user ids (`&str`).
    pub fn json_value(self, i: usize, users: [&str; 3]) -> String {
        match self {
            Kind::String => format!("{:?}", ["Alpha", "Bravo", "Charlie"][i]),
            Kind::Text => format!("{:?}", ["First note", "Second note", "Third note"][i]),
            Kind::Int => format!("{}", [10, 20, 30][i]),
            Kind::Money => ["19.99", "25.0", "300.01"][i].to_string(),
            Kind::Bool => format!("{}", [true, false, true][i]),
            Kind::Timestamp => format!(
                "{:?}",
                ["2026-05-01T10:00:00Z", "2026-06-02T11:30:00Z", "2026-07-03T12:45:00Z"][i]
            ),
            Kind::Uuid => format!(
                "{:?}",
                [
                    "00000000-0000-0000-0000-000000001111",
                    "00000000-0000-0000-0000-000000002222",
                    "00000000-0000-0000-0000-000000003333"
                ][i]
            ),
            Kind::User => users[i].to_string(),
            Kind::StringArray => [r#"["red", "blue"]"#, r#"["green"]"#, r#"["yellow"]"#][i].to_string(),
            Kind::IntArray => ["[1, 2, 3]", "[5]", "[7, 8]"][i].to_string(),
            Kind::UuidArray => [
                r#"["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"]"#,
                r#"["00000000-0000-0000-0000-000000000003"]"#,
                r#"["00000000-0000-0000-0000-000000000004"]"#,
            ][i]
                .to_string(),
            Kind::BoolArray => ["[true, false]", "[true]", "[false]"][i].to_string(),
        }
    }
}

/// `:optional` and `:unique`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modifiers {
    pub optional: bool,
    pub unique: bool,
}

/// One `--field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// snake_case, as given: the Rust field, the column (money: `<name>_cents`),
    /// the query parameter.
    pub name: String,
    pub kind: Kind,
    pub mods: Modifiers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

fn err<T>(msg: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError(msg.into()))
}

/// Rust keywords (strict, reserved and weak ones that cannot name a binding) and
/// names the templates use for themselves.
pub const RUST_RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static",
    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
    "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union", "std",
    "core", "alloc", "test", "main",
];

/// Words PostgreSQL reserves (and SQLite keywords that break an unquoted
/// column or table name).
pub const SQL_RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "index",
    "initially",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "transaction",
    "trigger",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "verbose",
    "view",
    "when",
    "where",
    "window",
    "with",
    "abort",
    "autoincrement",
    "commit",
    "conflict",
    "escape",
    "glob",
    "regexp",
    "rollback",
    "vacuum",
];

/// Columns every domain has (or that its filters and order use).
const BUILTIN_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "version",
    "date_created",
    "date_updated",
    "date_deleted",
];

fn is_snake_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// Parses `name:type[:optional][:unique]`.
pub fn parse_field(raw: &str) -> Result<Field, SpecError> {
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let mut parts = raw.split(':');
    let name = parts.next().unwrap_or_default().trim();
    let Some(ty) = parts.next().map(str::trim) else {
        return err(format!(
            "field {raw:?}: expected NAME:TYPE[:optional][:unique], e.g. title:string or email:string:unique; types: {}",
            kinds.join(", ")
        ));
    };
    check_field_name(name)?;
    let Some(kind) = Kind::parse(ty) else {
        let hint = if ty.ends_with("[]") {
            " (lists: string[], int[], uuid[], bool[])"
        } else {
            ""
        };
        return err(format!(
            "field {name:?}: unknown type {ty:?}{hint}; types: {}",
            kinds.join(", ")
        ));
    };
    let mut mods = Modifiers::default();
    for m in parts {
        match m.trim() {
            "optional" if !mods.optional => mods.optional = true,
            "unique" if !mods.unique => mods.unique = true,
            "optional" | "unique" => return err(format!("field {name:?}: modifier {m:?} given twice")),
            other => {
                return err(format!(
                    "field {name:?}: unknown modifier {other:?}; modifiers: optional, unique"
                ));
            }
        }
    }
    if mods.unique && !kind.info().unique_ok {
        let ok: Vec<&str> = KINDS.iter().filter(|k| k.unique_ok).map(|k| k.name).collect();
        return err(format!(
            "field {name:?}: a {ty} field cannot be unique; unique works for {}",
            ok.join(", ")
        ));
    }
    Ok(Field {
        name: name.to_string(),
        kind,
        mods,
    })
}

fn check_field_name(name: &str) -> Result<(), SpecError> {
    if !is_snake_ident(name) || name.len() > 40 {
        return err(format!(
            "field name {name:?} is not a snake_case identifier (a-z first, then a-z, 0-9, single '_'; at most 40)"
        ));
    }
    if RUST_RESERVED.contains(&name) {
        return err(format!(
            "field name {name:?} is a Rust keyword or reserved name; pick another"
        ));
    }
    if SQL_RESERVED.contains(&name) {
        return err(format!("field name {name:?} is an SQL reserved word; pick another"));
    }
    if BUILTIN_COLUMNS.contains(&name) {
        return err(format!(
            "field name {name:?} is built in: every domain has id, user_id (the owner), version, date_created, \
             date_updated and date_deleted"
        ));
    }
    Ok(())
}

/// The domain's names, all derived from one lowercase word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// `widget`: variables, the id column prefix.
    pub name: String,
    /// `widgets`: table, route, tag, test module.
    pub plural: String,
    /// `Widget`: types and the audit domain.
    pub pascal: String,
    /// `Widgets`: operation ids.
    pub pascal_plural: String,
    /// `WIDGET`: the audit domain on the wire.
    pub upper: String,
    /// `widgetbus`, `widgetapp`.
    pub bus: String,
    pub app: String,
}

/// The plural used for the table and the route: `glass` -> `glasses`, `story` ->
/// `stories`, else `+s`. `--plural` overrides it.
pub fn pluralize(name: &str) -> String {
    if name.ends_with('s') || name.ends_with('x') || name.ends_with("ch") || name.ends_with("sh") || name.ends_with('z')
    {
        format!("{name}es")
    } else if let Some(stem) = name.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{name}s")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Checks the shape of a domain name (not whether it exists: see `plan`).
pub fn parse_names(name: &str, plural: Option<&str>) -> Result<Names, SpecError> {
    let ok_word = |s: &str| {
        s.len() >= 2
            && s.len() <= 30
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if !ok_word(name) {
        return err(format!(
            "domain name {name:?} is not allowed: use one lowercase word, 2-30 letters or digits, starting with a \
             letter (like `product`); it becomes the crates {name}bus and {name}app"
        ));
    }
    let plural = match plural {
        Some(p) => p.to_string(),
        None => pluralize(name),
    };
    if !ok_word(&plural) || plural == name {
        return err(format!(
            "plural {plural:?} is not allowed: one lowercase word, 2-30 letters or digits, different from the name"
        ));
    }
    for word in [name, plural.as_str()] {
        if RUST_RESERVED.contains(&word) {
            return err(format!(
                "domain name {word:?} is a Rust keyword or reserved name; pick another"
            ));
        }
        if SQL_RESERVED.contains(&word) {
            return err(format!("domain name {word:?} is an SQL reserved word; pick another"));
        }
    }
    Ok(Names {
        name: name.to_string(),
        pascal: capitalize(name),
        pascal_plural: capitalize(&plural),
        upper: name.to_ascii_uppercase(),
        bus: format!("{name}bus"),
        app: format!("{name}app"),
        plural,
    })
}

/// Checks the fields together: at least one, no name twice, and no generated
/// name (column, query parameter) used twice.
pub fn check_fields(names: &Names, fields: &[Field]) -> Result<(), SpecError> {
    if fields.is_empty() {
        return err("give at least one --field NAME:TYPE, e.g. --field title:string");
    }
    let mut seen: Vec<String> = vec![format!("{}_id", names.name)];
    for f in fields {
        let mut generated = vec![f.name.clone(), f.column()];
        generated.dedup();
        for g in generated {
            if seen.contains(&g) {
                return err(format!(
                    "field {:?}: the name {g:?} is used twice (by another field or the id column {}_id)",
                    f.name, names.name
                ));
            }
            seen.push(g);
        }
    }
    Ok(())
}

impl Field {
    pub fn info(&self) -> &'static KindInfo {
        self.kind.info()
    }

    /// The column: the name, except money, which is `<name>_cents`.
    pub fn column(&self) -> String {
        match self.kind {
            Kind::Money => format!("{}_cents", self.name),
            _ => self.name.clone(),
        }
    }

    /// The JSON name: camelCase of the name.
    pub fn json(&self) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in self.name.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// `ItemCount` from `item_count`: the `OrderField` variant.
    pub fn pascal(&self) -> String {
        self.name.split('_').map(capitalize).collect()
    }
}

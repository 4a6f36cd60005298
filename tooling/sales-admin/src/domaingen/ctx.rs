//! The template context: every string a template prints about a field is worked
//! out here from the field-type table, so the templates stay plain text.

use super::spec::{Field, Filter, Kind, Names};

/// Everything the templates see.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub n: Names,
    pub fields: Vec<FieldCtx>,
    /// The migration number, e.g. `0006`.
    pub migration: String,
    /// Some field is `:unique` / a user reference / a list / money / a timestamp.
    pub has_unique: bool,
    pub has_user: bool,
    pub has_array: bool,
    pub has_money: bool,
    pub has_time: bool,
    /// `DB: Dialect` or, with lists, `DB: Dialect + ArrayBind`.
    pub db_bound: String,
    /// The audit row's `obj_name` for `item` (a `&Item`): its first string field, or its id.
    pub obj_name: String,
    /// The first field (the one tests update and break).
    pub first: FieldCtx,
    /// The fields with a filter / that `orderBy` accepts.
    pub filters: Vec<FieldCtx>,
    pub orderables: Vec<FieldCtx>,
    /// The unique fields' JSON names, for the 409.
    pub unique_json: String,
    /// The user fields' JSON names, for the 400 on an unknown user.
    pub user_json: String,
    /// The first field that is not optional (tests leave it out), if any.
    pub first_required: Option<FieldCtx>,
    pub first_unique_json: String,
    pub first_user_json: String,
    pub has_substring: bool,
    /// The three test items of the business tests and the API tests.
    pub bus_items: Vec<Vec<Val>>,
    pub api_items: Vec<Vec<Val>>,
}

/// A field's value in one test item.
#[derive(Debug, Clone)]
pub struct Val {
    pub name: String,
    pub json: String,
    /// As the `New` struct takes it (`Some(..)` when optional).
    pub new: String,
    /// As the `Update` struct takes it: `Some(..)`.
    pub update: String,
    /// The JSON value (API tests).
    pub json_value: String,
    /// A plain (not optional) bool: tests assert it without comparing to a literal.
    pub plain_bool: bool,
}

impl Val {
    /// The statement asserting that `var` holds this value.
    pub fn assert_on(&self, var: &str) -> String {
        match (self.plain_bool, self.new.as_str()) {
            (true, "true") => format!("assert!({var}.{});", self.name),
            (true, _) => format!("assert!(!{var}.{});", self.name),
            _ => format!("assert_eq!({var}.{}, {});", self.name, self.new),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldCtx {
    pub name: String,
    pub column: String,
    pub json: String,
    /// `OrderField` variant.
    pub pascal: String,
    pub kind: String,
    pub optional: bool,
    pub unique: bool,
    pub is_user: bool,
    /// Column types.
    pub pg: String,
    pub sqlite: String,
    /// `.clone()` for types that are not `Copy`.
    pub clone_suffix: String,
    /// Business type, with `Option` when optional; and without.
    pub ty: String,
    pub inner_ty: String,
    /// Row struct type.
    pub row_ty: String,
    /// Row -> business (`r` is the row).
    pub from_row: String,
    /// Statement binding `item.<name>` in the INSERT.
    pub insert_bind: String,
    /// Statement binding `v: &T` with `qb: &mut QueryBuilder` named `qb` (`&mut qb` for `update`).
    pub update_bind: String,
    pub filter_bind: String,
    /// The audit row's value of `item.<name>` (an expression inside `json!({..})`),
    /// and the JSON of `v: &T`.
    pub audit_place: String,
    pub audit_ref: String,
    /// Filtering.
    pub filter_substring: bool,
    pub filter_ty: String,
    pub query_parse: String,
    pub param_attr: String,
    pub param_ty: String,
    pub param_doc: String,
    /// Request/response attributes and doc.
    pub serde_resp: String,
    pub serde_req: String,
    pub serde_req_update: String,
    pub validate: String,
    pub schema: String,
    pub schema_update: String,
    pub doc: String,
    pub invalid_json: String,
    /// Business tests: does `x` match a filter on item 0's value; the filter value.
    pub test_matches: String,
    pub test_filter_value: String,
    /// API tests: the query value of item 0 (a `&str` expression) and how many of
    /// the three items it matches.
    pub api_query_value: String,
    pub api_match_count: usize,
}

fn is_clone_kind(k: Kind) -> bool {
    matches!(k, Kind::String | Kind::Text) || k.is_array()
}

/// An owned value from a reference `v: &T`.
fn owned_from_ref(k: Kind, v: &str) -> String {
    match k {
        Kind::Money => format!("{v}.cents()"),
        _ if is_clone_kind(k) => format!("{v}.clone()"),
        _ => format!("*{v}"),
    }
}

/// An owned value from a place `item.x` of type `T`.
fn owned_from_place(k: Kind, p: &str) -> String {
    match k {
        Kind::Money => format!("{p}.cents()"),
        _ if is_clone_kind(k) => format!("{p}.clone()"),
        _ => p.to_string(),
    }
}

fn bind_fn(k: Kind) -> &'static str {
    match k {
        Kind::String | Kind::Text => "bind_text",
        Kind::Int | Kind::Money => "bind_i64",
        Kind::Bool => "bind_bool",
        Kind::Timestamp => "bind_time",
        Kind::Uuid | Kind::User => "bind_uuid",
        Kind::StringArray | Kind::IntArray | Kind::UuidArray | Kind::BoolArray => "bind_array",
    }
}

fn audit_json(k: Kind, v: &str) -> String {
    match k {
        Kind::Timestamp => format!("serde_json::json!({v}.format(&Rfc3339).ok())"),
        _ => format!("serde_json::json!({v})"),
    }
}

impl FieldCtx {
    fn new(f: &Field) -> FieldCtx {
        let k = f.kind;
        let info = f.info();
        let opt = f.mods.optional;
        let wrap = |t: &str| if opt { format!("Option<{t}>") } else { t.to_string() };
        let col = f.column();
        let from_row = match (k, opt) {
            (Kind::Money, false) => format!("Money::from_cents(r.{col})"),
            (Kind::Money, true) => format!("r.{col}.map(Money::from_cents)"),
            (_, false) if k.is_array() => format!("r.{col}.0"),
            (_, true) if k.is_array() => format!("r.{col}.map(|a| a.0)"),
            _ => format!("r.{col}"),
        };
        let bind = bind_fn(k);
        let place = format!("item.{}", f.name);
        let insert_bind = if opt {
            format!(
                "match &{place} {{ Some(v) => DB::{bind}(&mut qb, {}), None => {{ qb.push(\"NULL\"); }} }}",
                owned_from_ref(k, "v")
            )
        } else {
            format!("DB::{bind}(&mut qb, {});", owned_from_place(k, &place))
        };
        let update_bind = format!("DB::{bind}(&mut qb, {});", owned_from_ref(k, "v"));
        let filter_bind = format!("DB::{bind}(qb, {});", owned_from_ref(k, "v"));
        let audit_place = match (k, opt) {
            (Kind::Timestamp, false) => format!("{place}.format(&Rfc3339).ok()"),
            (Kind::Timestamp, true) => format!("{place}.and_then(|t| t.format(&Rfc3339).ok())"),
            _ => place.clone(),
        };
        let audit_ref = audit_json(k, "v");

        let filter_substring = info.filter == Filter::Substring;
        let filter_ty = if filter_substring {
            "String".to_string()
        } else {
            info.rust.to_string()
        };
        let query_parse = match k {
            Kind::String | Kind::Text => format!("q.string({:?})?", f.name),
            Kind::Int => format!("q.i64({:?})?", f.name),
            Kind::Money => format!("q.parse_with({:?}, Money::parse_decimal)?", f.name),
            Kind::Bool => format!("q.bool({:?})?", f.name),
            _ => format!("q.uuid({:?})?", f.name),
        };
        let (param_ty, param_attr) = match k {
            Kind::Money => (
                "Option<String>".to_string(),
                r#"#[param(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$", example = "19.99")]"#
                    .to_string(),
            ),
            Kind::Int => ("Option<i64>".into(), String::new()),
            Kind::Bool => ("Option<bool>".into(), String::new()),
            Kind::Uuid | Kind::User => ("Option<uuid::Uuid>".into(), String::new()),
            _ => ("Option<String>".into(), String::new()),
        };
        let param_doc = if filter_substring {
            format!("Case-insensitive substring of `{}`.", f.json())
        } else {
            format!("Exactly this `{}`.", f.json())
        };

        let json = f.json();
        let rename = if json != f.name {
            format!("rename = \"{json}\"")
        } else {
            String::new()
        };
        let time_with = match (k, opt) {
            (Kind::Timestamp, false) => "with = \"time::serde::rfc3339\"".to_string(),
            (Kind::Timestamp, true) => "default, with = \"time::serde::rfc3339::option\"".to_string(),
            _ => String::new(),
        };
        let serde_attr = |parts: &[&str]| {
            let parts: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
            if parts.is_empty() {
                String::new()
            } else {
                format!("#[serde({})]", parts.join(", "))
            }
        };
        // Responses use `rename_all = "camelCase"`; requests name each field.
        let serde_resp = serde_attr(&[&time_with]);
        let serde_req = serde_attr(&[&rename, &time_with]);
        let time_with_update = if k == Kind::Timestamp {
            "default, with = \"time::serde::rfc3339::option\"".to_string()
        } else {
            String::new()
        };
        let serde_req_update = serde_attr(&[&rename, &time_with_update]);
        let validate = info.rule.map(|r| format!("#[validate({r})]")).unwrap_or_default();
        let schema = match (k, opt) {
            (Kind::Money, true) => "#[schema(value_type = Option<appsdk::docs::MoneySchema>)]".to_string(),
            _ => info.schema.map(|s| format!("#[schema({s})]")).unwrap_or_default(),
        };
        let schema_update = match k {
            Kind::Money => "#[schema(value_type = Option<appsdk::docs::MoneySchema>)]".to_string(),
            _ => schema.clone(),
        };
        let mut doc = info.doc.to_string();
        if opt {
            doc.push_str(" Optional.");
        }
        if f.mods.unique {
            doc.push_str(" Unique among live items.");
        }

        let first = format!("fx.items[0].{}", f.name);
        let test_matches = match (filter_substring, opt) {
            (true, false) => format!("x.{0}.to_lowercase().contains(&{first}.to_lowercase())", f.name),
            (true, true) => format!(
                "x.{0}.as_deref().unwrap_or_default().to_lowercase().contains(&{first}.as_deref().unwrap_or_default().to_lowercase())",
                f.name
            ),
            (false, _) => format!("x.{} == {first}", f.name),
        };
        let test_filter_value = match (is_clone_kind(k), opt) {
            (true, false) => format!("Some({first}.clone())"),
            (true, true) => format!("{first}.clone()"),
            (false, false) => format!("Some({first})"),
            (false, true) => first.clone(),
        };
        let api_query_value = match k {
            Kind::String => "\"alpha\"".to_string(),
            Kind::Int => "\"10\"".to_string(),
            Kind::Money => "\"19.99\"".to_string(),
            Kind::Bool => "\"true\"".to_string(),
            Kind::Uuid => "\"00000000-0000-0000-0000-000000001111\"".to_string(),
            Kind::User => "USER_ID".to_string(),
            _ => String::new(),
        };
        let api_match_count = if k == Kind::Bool { 2 } else { 1 };

        FieldCtx {
            name: f.name.clone(),
            column: col,
            json,
            pascal: f.pascal(),
            kind: info.name.to_string(),
            optional: opt,
            unique: f.mods.unique,
            is_user: k == Kind::User,
            pg: info.pg.to_string(),
            sqlite: info.sqlite.to_string(),
            clone_suffix: if is_clone_kind(k) {
                ".clone()".to_string()
            } else {
                String::new()
            },
            ty: wrap(info.rust),
            inner_ty: info.rust.to_string(),
            row_ty: wrap(info.row),
            from_row,
            insert_bind,
            update_bind,
            filter_bind,
            audit_place,
            audit_ref,
            filter_substring,
            filter_ty,
            query_parse,
            param_attr,
            param_ty,
            param_doc,
            serde_resp,
            serde_req,
            serde_req_update,
            validate,
            schema,
            schema_update,
            doc,
            invalid_json: info.invalid_json.to_string(),
            test_matches,
            test_filter_value,
            api_query_value,
            api_match_count,
        }
    }
}

impl Ctx {
    pub fn new(n: Names, fields: &[Field], migration: u32) -> Ctx {
        let fcs: Vec<FieldCtx> = fields.iter().map(FieldCtx::new).collect();
        let has = |p: &dyn Fn(&Field) -> bool| fields.iter().any(p);
        let has_array = has(&|f| f.kind.is_array());
        let obj_name = match fields.iter().find(|f| f.kind == Kind::String) {
            Some(f) if f.mods.optional => format!("item.{}.clone().unwrap_or_else(|| item.id.to_string())", f.name),
            Some(f) => format!("item.{}.as_str()", f.name),
            None => "item.id.to_string()".to_string(),
        };
        let items = |bus: bool, users: [&str; 3]| -> Vec<Vec<Val>> {
            (0..3)
                .map(|i| {
                    fields
                        .iter()
                        .map(|f| {
                            let v = f.kind.bus_value(i, users);
                            Val {
                                name: f.name.clone(),
                                json: f.json(),
                                new: if f.mods.optional {
                                    format!("Some({v})")
                                } else {
                                    v.clone()
                                },
                                update: format!("Some({v})"),
                                plain_bool: f.kind == Kind::Bool && !f.mods.optional,
                                json_value: if bus {
                                    String::new()
                                } else {
                                    f.kind.json_value(i, users)
                                },
                            }
                        })
                        .collect()
                })
                .collect()
        };
        let join_json = |p: &dyn Fn(&Field) -> bool| {
            fields
                .iter()
                .filter(|f| p(f))
                .map(|f| f.json())
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ctx {
            migration: format!("{migration:04}"),
            has_unique: has(&|f| f.mods.unique),
            has_user: has(&|f| f.kind == Kind::User),
            has_array,
            has_money: has(&|f| f.kind == Kind::Money),
            has_time: has(&|f| f.kind == Kind::Timestamp),
            db_bound: if has_array {
                "Dialect + ArrayBind".to_string()
            } else {
                "Dialect".to_string()
            },
            obj_name,
            first: fcs[0].clone(),
            filters: fcs.iter().filter(|f| f.info_filter()).cloned().collect(),
            orderables: fields
                .iter()
                .zip(&fcs)
                .filter(|(f, _)| f.info().orderable)
                .map(|(_, c)| c.clone())
                .collect(),
            unique_json: join_json(&|f| f.mods.unique),
            first_required: fields
                .iter()
                .zip(&fcs)
                .find(|(f, _)| !f.mods.optional)
                .map(|(_, c)| c.clone()),
            first_unique_json: fields
                .iter()
                .find(|f| f.mods.unique)
                .map(|f| f.json())
                .unwrap_or_default(),
            first_user_json: fields
                .iter()
                .find(|f| f.kind == Kind::User)
                .map(|f| f.json())
                .unwrap_or_default(),
            has_substring: has(&|f| f.info().filter == Filter::Substring),
            user_json: join_json(&|f| f.kind == Kind::User),
            bus_items: items(true, ["u.owner", "u.other", "u.third"]),
            api_items: items(false, ["USER_ID", "ADMIN_ID", "third"]),
            fields: fcs,
            n,
        }
    }
}

impl FieldCtx {
    fn info_filter(&self) -> bool {
        Kind::parse(&self.kind).is_some_and(|k| k.info().filter != Filter::None)
    }
}

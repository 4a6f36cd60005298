//! Query-string parsing for list endpoints: paging, `orderBy` and typed filters.
//! Every bad value is a 400 naming the parameter.

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
};
use sdk::{Direction, OrderBy, Page};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errs::AppError;

/// The raw query parameters of a request.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::invalid("query", "malformed query string"))?;
        Ok(QueryParams(map))
    }
}

impl QueryParams {
    pub fn from_pairs<const N: usize>(pairs: [(&str, &str); N]) -> Self {
        QueryParams(pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// `page` ≥ 1 (default 1) and `rows` 1..=100 (default 10).
    pub fn page(&self) -> Result<Page, AppError> {
        let number = self.bounded("page", 1, u32::MAX, 1)?;
        let rows = self.bounded("rows", 1, Page::MAX_ROWS, 10)?;
        Ok(Page::new(number, rows))
    }

    fn bounded(&self, name: &str, min: u32, max: u32, default: u32) -> Result<u32, AppError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => match raw.parse::<u32>() {
                Ok(v) if (min..=max).contains(&v) => Ok(v),
                _ if max == u32::MAX => Err(AppError::invalid(name, format!("must be a whole number ≥ {min}"))),
                _ => Err(AppError::invalid(
                    name,
                    format!("must be a whole number from {min} to {max}"),
                )),
            },
        }
    }

    /// `orderBy=field` or `orderBy=field,ASC|DESC`; `fields` maps the API names.
    pub fn order_by<F: Copy>(&self, fields: &[(&str, F)], default: OrderBy<F>) -> Result<OrderBy<F>, AppError> {
        let Some(raw) = self.get("orderBy") else {
            return Ok(default);
        };
        let (name, dir) = match raw.split_once(',') {
            Some((n, d)) => (n.trim(), Some(d.trim())),
            None => (raw.trim(), None),
        };
        let field = fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                AppError::invalid(
                    "orderBy",
                    format!("unknown field {name:?}; use one of {}", names.join(", ")),
                )
            })?;
        let direction = match dir.map(str::to_ascii_uppercase).as_deref() {
            None => Direction::Asc,
            Some("ASC") => Direction::Asc,
            Some("DESC") => Direction::Desc,
            Some(other) => {
                return Err(AppError::invalid(
                    "orderBy",
                    format!("unknown direction {other:?}; use ASC or DESC"),
                ));
            }
        };
        Ok(OrderBy::new(field, direction))
    }

    /// The trimmed value, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A text filter. A control character (NUL included) is refused: PostgreSQL
    /// cannot hold a NUL in text at all (it answered an error, which was a 500,
    /// until schemathesis sent one), and no stored name or value contains one.
    pub fn string(&self, name: &str) -> Result<Option<String>, AppError> {
        self.parse_with(name, |s| {
            if s.chars().any(char::is_control) {
                Err("must not contain control characters")
            } else {
                Ok(s.to_string())
            }
        })
    }

    pub fn parse_with<T, E: std::fmt::Display>(
        &self,
        name: &str,
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, AppError> {
        self.get(name)
            .map(|raw| f(raw).map_err(|e| AppError::invalid(name, e.to_string())))
            .transpose()
    }

    pub fn uuid(&self, name: &str) -> Result<Option<Uuid>, AppError> {
        self.parse_with(name, |s| Uuid::parse_str(s).map_err(|_| "must be a UUID"))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, AppError> {
        self.parse_with(name, |s| match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err("must be true or false"),
        })
    }

    pub fn i64(&self, name: &str) -> Result<Option<i64>, AppError> {
        self.parse_with(name, |s| s.parse::<i64>().map_err(|_| "must be a whole number"))
    }

    /// RFC 3339, e.g. `2026-11-23T10:00:00Z`.
    pub fn time(&self, name: &str) -> Result<Option<OffsetDateTime>, AppError> {
        self.parse_with(name, |s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum F {
        Id,
        Name,
    }
    const FIELDS: [(&str, F); 2] = [("user_id", F::Id), ("name", F::Name)];
    const DEF: OrderBy<F> = OrderBy {
        field: F::Id,
        direction: Direction::Asc,
    };

    fn bad_field(r: Result<impl std::fmt::Debug, AppError>) -> String {
        r.unwrap_err().fields[0].field.clone()
    }

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(QueryParams::default().page().unwrap(), Page::new(1, 10));
        assert_eq!(
            QueryParams::from_pairs([("page", "3"), ("rows", "100")])
                .page()
                .unwrap(),
            Page::new(3, 100)
        );
        assert_eq!(bad_field(QueryParams::from_pairs([("page", "0")]).page()), "page");
        assert_eq!(bad_field(QueryParams::from_pairs([("rows", "101")]).page()), "rows");
        assert_eq!(bad_field(QueryParams::from_pairs([("rows", "ten")]).page()), "rows");
        assert_eq!(bad_field(QueryParams::from_pairs([("page", "-1")]).page()), "page");
    }

    #[test]
    fn order_by_parses_field_and_direction() {
        let q = |v| QueryParams::from_pairs([("orderBy", v)]);
        assert_eq!(QueryParams::default().order_by(&FIELDS, DEF).unwrap(), DEF);
        assert_eq!(
            q("name").order_by(&FIELDS, DEF).unwrap(),
            OrderBy::new(F::Name, Direction::Asc)
        );
        assert_eq!(
            q("name,desc").order_by(&FIELDS, DEF).unwrap(),
            OrderBy::new(F::Name, Direction::Desc)
        );
        assert_eq!(bad_field(q("password").order_by(&FIELDS, DEF)), "orderBy");
        assert_eq!(bad_field(q("name,sideways").order_by(&FIELDS, DEF)), "orderBy");
    }

    #[test]
    fn typed_filters_name_the_parameter() {
        let q = QueryParams::from_pairs([("user_id", "nope"), ("enabled", "yes"), ("since", "yesterday")]);
        assert_eq!(bad_field(q.uuid("user_id")), "user_id");
        assert_eq!(bad_field(q.bool("enabled")), "enabled");
        assert_eq!(bad_field(q.time("since")), "since");
        let ok = QueryParams::from_pairs([("enabled", "TRUE"), ("since", "2026-11-23T10:00:00Z")]);
        assert_eq!(ok.bool("enabled").unwrap(), Some(true));
        assert!(ok.time("since").unwrap().is_some());
        assert_eq!(ok.uuid("absent").unwrap(), None);
    }

    #[test]
    fn text_filters_refuse_control_characters() {
        let q = QueryParams::from_pairs([("name", "a\0b"), ("obj_name", "tab\there"), ("user_name", " Gopher ")]);
        assert_eq!(bad_field(q.string("name")), "name");
        assert_eq!(bad_field(q.string("obj_name")), "obj_name");
        assert_eq!(q.string("user_name").unwrap().as_deref(), Some("Gopher"));
        assert_eq!(q.string("absent").unwrap(), None);
    }
}

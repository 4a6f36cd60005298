//! OpenAPI building blocks shared by the app crates: the error body, reusable
//! error responses, the security schemes, paging parameters, and schemas for the
//! value types of the business layer (which stays free of documentation crates).
//!
//! Each app crate documents its own handlers with `#[utoipa::path]` and exposes an
//! `ApiDoc`; the service merges them and then calls [`finish`], which adds the
//! security schemes and the errors any operation can meet (429, 500, 503, 504).

use std::borrow::Cow;

use sdk::{Direction, OrderBy};
use types::Role;
use utoipa::{
    IntoParams, OpenApi, PartialSchema, ToResponse, ToSchema,
    openapi::{
        self, Content, HeaderBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type,
        path::{Parameter, ParameterBuilder, ParameterIn},
        response::Response,
        schema::Schema,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::errs::{ErrCode, ErrorBody, FieldError};

/// Name of the bearer JWT security scheme (`security(("bearerAuth" = []))`).
pub const BEARER: &str = "bearerAuth";
/// Name of the HTTP Basic security scheme, used only by `GET /v1/auth/token/{kid}`.
pub const BASIC: &str = "basicAuth";

/// Schemas and responses every domain's document refers to.
#[derive(OpenApi)]
#[openapi(components(
    schemas(ErrorBody, ErrCode, FieldError, MoneySchema, RoleSchema),
    responses(
        Unauthenticated,
        FailedPrecondition,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        Internal,
        Unavailable,
        DeadlineExceeded
    )
))]
pub struct CommonDoc;

/// Money on the wire: a JSON number with at most two decimals, stored exactly as
/// integer cents. Deliberately no `multipleOf: 0.01`: JSON Schema validators
/// divide in binary floating point and would reject valid amounts such as 19.99.
pub struct MoneySchema;

impl PartialSchema for MoneySchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "An amount of money: a JSON number with at most 2 decimals (e.g. 19.99). \
                 Stored exactly as integer cents; more decimals are refused with 400.",
            ))
            .examples([serde_json::json!(19.99)])
            .into()
    }
}

impl ToSchema for MoneySchema {
    fn name() -> Cow<'static, str> {
        "Money".into()
    }
}

/// A role name, listed from [`types::Role::ALL`] so the document cannot drift.
pub struct RoleSchema;

impl PartialSchema for RoleSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Role::ALL.iter().map(|r| r.as_str())))
            .description(Some("A role. A user holds one or both."))
            .into()
    }
}

impl ToSchema for RoleSchema {
    fn name() -> Cow<'static, str> {
        "Role".into()
    }
}

/// `page` and `rows` of every list endpoint.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1. Out of range or not a whole number: 400 naming `page`.
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Rows per page, 1 to 100. Out of range: 400 naming `rows`.
    #[param(minimum = 1, maximum = 100, default = 10)]
    pub rows: Option<u32>,
}

/// The optional `If-Match` header of the updates, documented once. The pattern is
/// what [`crate::IfMatch`] accepts.
pub struct IfMatchHeader;

impl IntoParams for IfMatchHeader {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The quoted version from the `ETag`, e.g. `\"3\"`: the change applies only if it is still the \
                     current version (else 412). `*` or absent: whatever is current. Malformed: 400.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(r#"^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18}))$"#))
                        .examples([serde_json::json!("\"1\"")]),
                ))
                .build(),
        ]
    }
}

/// The `orderBy` query parameter, documented from the handler's own field table
/// and default order, so the list of names cannot drift from the code.
pub fn order_by_param<F: Copy + PartialEq>(fields: &[(&str, F)], default: OrderBy<F>) -> Parameter {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    let default_name = fields.iter().find(|(_, f)| *f == default.field).map_or("", |(n, _)| *n);
    let default_value = match default.direction {
        Direction::Asc => default_name.to_string(),
        Direction::Desc => format!("{default_name},DESC"),
    };
    let any_case = |w: &str| {
        w.chars()
            .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
            .collect::<String>()
    };
    let pattern = format!("^({})(,({}|{}))?$", names.join("|"), any_case("asc"), any_case("desc"));
    let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    ParameterBuilder::new()
        .name("orderBy")
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(format!(
            "`field` or `field,ASC|DESC` (direction case-insensitive, ASC when omitted). Fields: {}. \
             Default: `{default_value}`. An unknown field or direction is a 400 naming `orderBy`.",
            listed.join(", ")
        )))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .default(Some(default_value.into())),
        ))
        .build()
}

/// Declares a unit type whose [`IntoParams`] is [`order_by_param`] over a field
/// table, for `params(...)` of a list handler.
#[macro_export]
macro_rules! order_by_params {
    ($name:ident, $fields:expr, $default:expr) => {
        /// The `orderBy` parameter of a list endpoint.
        pub struct $name;

        impl ::utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<::utoipa::openapi::path::ParameterIn>,
            ) -> Vec<::utoipa::openapi::path::Parameter> {
                vec![$crate::docs::order_by_param(&$fields, $default)]
            }
        }
    };
}

fn error_response(description: &str, headers: &[(&str, &str)]) -> Response {
    let mut b = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
    );
    for (name, desc) in headers {
        b = b.header(
            *name,
            HeaderBuilder::new()
                .schema(Some(String::schema()))
                .description(Some(*desc))
                .build(),
        );
    }
    b.build()
}

macro_rules! error_responses {
    ($($name:ident => $desc:expr $(, headers = [$(($h:expr, $hd:expr)),*])?;)*) => {$(
        #[doc = $desc]
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), error_response($desc, &[$($(($h, $hd)),*)?]).into())
            }
        }
    )*};
}

error_responses! {
    Unauthenticated => "`unauthenticated`: the Authorization header is missing or malformed, the token is \
        expired, forged, signed with an unknown key or has the wrong issuer, or its user was disabled or \
        deleted.", headers = [("WWW-Authenticate", "The scheme to authenticate with: `Bearer`.")];
    FailedPrecondition => "`failed_precondition`: `If-Match` does not equal the current version; nothing \
        was changed. Read the entity again and retry with its new `ETag`.";
    PayloadTooLarge => "`payload_too_large`: the body is over the configured limit (default 1 MiB).";
    UnsupportedMediaType => "`unsupported_media_type`: the body is not `application/json`.";
    TooManyRequests => "`too_many_requests`: the per-client rate limit was hit (only when \
        `SALES_WEB_RATE_LIMIT` is set).", headers = [("Retry-After", "Seconds to wait before retrying.")];
    Internal => "`internal`: an unexpected failure. The message is always `internal server error`; the \
        cause is logged with the request id (`X-Request-ID`).";
    Unavailable => "`unavailable`: the database is unreachable, the service is shutting down or is \
        overloaded.", headers = [("Retry-After", "Seconds to wait before retrying, when known.")];
    DeadlineExceeded => "`deadline_exceeded`: the request took longer than the configured timeout.";
}

/// Completes the merged document: security schemes, and the responses every
/// operation can produce whatever its handler does (429, 500, 503, 504).
pub fn finish(doc: &mut openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some(
            "An RS256 access token from `POST /v1/auth/login`, `POST /v1/auth/refresh` or \
         `GET /v1/auth/token/{kid}`, sent as `Authorization: Bearer <jwt>`.",
        ));
    components.add_security_scheme(BEARER, SecurityScheme::Http(bearer.build()));
    let basic = HttpBuilder::new().scheme(HttpAuthScheme::Basic).description(Some(
        "`Authorization: Basic base64(email:password)`, only for `GET /v1/auth/token/{kid}`.",
    ));
    components.add_security_scheme(BASIC, SecurityScheme::Http(basic.build()));

    let global: [(&str, &str); 4] = [
        ("429", TooManyRequests::response().0),
        ("500", Internal::response().0),
        ("503", Unavailable::response().0),
        ("504", DeadlineExceeded::response().0),
    ];
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            for (status, name) in global {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| Ref::from_response_name(name).into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_param_lists_the_fields_and_the_default() {
        #[derive(Clone, Copy, PartialEq)]
        enum F {
            Id,
            Name,
        }
        let p = order_by_param(
            &[("user_id", F::Id), ("name", F::Name)],
            OrderBy::new(F::Name, Direction::Desc),
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["in"], "query");
        assert_eq!(v["schema"]["default"], "name,DESC");
        assert_eq!(
            v["schema"]["pattern"],
            "^(user_id|name)(,([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc]))?$"
        );
        assert!(v["description"].as_str().unwrap().contains("`user_id`, `name`"));
    }

    #[test]
    fn role_schema_lists_every_role() {
        let v = serde_json::to_value(RoleSchema::schema()).unwrap();
        let listed: Vec<&str> = v["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_str())
            .collect();
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(listed, all);
    }

    #[test]
    fn finish_adds_schemes_and_global_errors() {
        let mut doc = CommonDoc::openapi();
        doc.paths.add_path_operation(
            "/x",
            vec![openapi::HttpMethod::Get],
            openapi::path::OperationBuilder::new().build(),
        );
        finish(&mut doc);
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["components"]["securitySchemes"][BEARER]["scheme"], "bearer");
        assert_eq!(v["components"]["securitySchemes"][BASIC]["scheme"], "basic");
        for status in ["429", "500", "503", "504"] {
            let r = &v["paths"]["/x"]["get"]["responses"][status]["$ref"];
            assert!(
                r.as_str().unwrap().starts_with("#/components/responses/"),
                "{status}: {r}"
            );
        }
        assert_eq!(
            v["components"]["responses"]["Unauthenticated"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}

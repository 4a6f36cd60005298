use appsdk::{
    AppError, Auth, IfMatch, Json, PageDocument, UuidPath,
    auth::rules::{AdminOrSubject, Any, UserOnly},
    extract::entity_response,
    query::QueryParams,
};
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use {{ c.n.bus }}::{Business, OrderField, QueryFilter};
{%- if c.has_money %}
use types::Money;
{%- endif %}

use crate::model::{App{{ c.n.pascal }}, AppNew{{ c.n.pascal }}, AppUpdate{{ c.n.pascal }}};

/// The OpenAPI description of `/v1/{{ c.n.plural }}`, merged into the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(query, query_by_id, create, update, delete),
    tags((name = "{{ c.n.plural }}", description = "{{ c.n.pascal_plural }}, each owned by the user who created it. \
        Deleted {{ c.n.plural }} are hidden from reads."))
)]
pub struct ApiDoc;

appsdk::order_by_params!({{ c.n.pascal }}OrderBy, ORDER_FIELDS, {{ c.n.bus }}::DEFAULT_ORDER);

/// The filters of `GET /v1/{{ c.n.plural }}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: the handler reads `QueryParams`
struct {{ c.n.pascal }}Filter {
    /// Exactly this {{ c.n.name }}.
    {{ c.n.name }}_id: Option<uuid::Uuid>,
    /// {{ c.n.pascal_plural }} of this owner.
    user_id: Option<uuid::Uuid>,
{%- for f in c.filters %}
    /// {{ f.param_doc }}
    {{ f.param_attr }} {{ f.name }}: {{ f.param_ty }},
{%- endfor %}
}

/// `orderBy` names accepted by the list.
pub const ORDER_FIELDS: [(&str, OrderField); {{ c.orderables.len() + 3 }}] = [
    ("{{ c.n.name }}_id", OrderField::Id),
    ("user_id", OrderField::UserId),
{%- for f in c.orderables %}
    ("{{ f.name }}", OrderField::{{ f.pascal }}),
{%- endfor %}
    ("date_created", OrderField::DateCreated),
];

pub fn routes(bus: Business) -> Router {
    Router::new()
        .route("/v1/{{ c.n.plural }}", get(query).post(create))
        .route("/v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}", get(query_by_id).put(update).delete(delete))
        .with_state(bus)
}

pub fn to_app_error(e: {{ c.n.bus }}::Error) -> AppError {
    match e {
        {{ c.n.bus }}::Error::NotFound => AppError::not_found("{{ c.n.name }}"),
        {{ c.n.bus }}::Error::VersionConflict => AppError::precondition_failed(),
{%- if c.has_unique %}
        {{ c.n.bus }}::Error::Duplicate => AppError::new(appsdk::ErrCode::AlreadyExists, "a {{ c.n.name }} with the same {{ c.unique_json }} already exists")
            .with_fields(vec![{% for f in c.fields %}{% if f.unique %}appsdk::FieldError::new("{{ f.json }}", "is already in use"), {% endif %}{% endfor %}]),
{%- endif %}
{%- if c.has_user %}
        {{ c.n.bus }}::Error::UnknownUser => AppError::validation(vec![{% for f in c.fields %}{% if f.is_user %}appsdk::FieldError::new("{{ f.json }}", "must be the id of an existing user"), {% endif %}{% endfor %}]),
{%- endif %}
        {{ c.n.bus }}::Error::Internal(e) => AppError::internal(e),
    }
}

fn parse_filter(q: &QueryParams) -> Result<QueryFilter, AppError> {
    Ok(QueryFilter {
        id: q.uuid("{{ c.n.name }}_id")?,
        user_id: q.uuid("user_id")?,
{%- for f in c.filters %}
        {{ f.name }}: {{ f.query_parse }},
{%- endfor %}
    })
}

/// List {{ c.n.plural }}.
///
/// **Rule: ANY** authenticated user. Filters are ANDed; deleted {{ c.n.plural }} are not listed.
#[utoipa::path(
    get,
    path = "/v1/{{ c.n.plural }}",
    operation_id = "query{{ c.n.pascal_plural }}",
    tag = "{{ c.n.plural }}",
    security(("bearerAuth" = [])),
    params(appsdk::docs::PageQuery, {{ c.n.pascal }}OrderBy, {{ c.n.pascal }}Filter),
    responses(
        (status = 200, description = "One page of {{ c.n.plural }}.", body = PageDocument<App{{ c.n.pascal }}>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
    )
)]
async fn query(_: Auth<Any>, State(bus): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, {{ c.n.bus }}::DEFAULT_ORDER)?;
    let filter = parse_filter(&q)?;
    let (items, total) = tokio::join!(bus.query(&filter, order, page), bus.count(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(items.iter().map(App{{ c.n.pascal }}::from).collect(), total.map_err(to_app_error)?, page);
    Ok(axum::Json(doc).into_response())
}

/// Get a {{ c.n.name }}.
///
/// **Rule: ANY** authenticated user. The `ETag` holds the version to send back
/// in `If-Match`.
#[utoipa::path(
    get,
    path = "/v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}",
    operation_id = "query{{ c.n.pascal }}ById",
    tag = "{{ c.n.plural }}",
    security(("bearerAuth" = [])),
    params(("{{ c.n.name }}_id" = uuid::Uuid, Path, description = "The {{ c.n.name }}'s id.")),
    responses(
        (status = 200, description = "The {{ c.n.name }}.", body = App{{ c.n.pascal }},
            headers(("ETag" = String, description = "The quoted version, e.g. `\"3\"`."))),
        (status = 400, description = "`invalid_argument`: `{{ c.n.name }}_id` is not a UUID.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 404, description = "`not_found`: no such {{ c.n.name }}, or it was deleted.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query_by_id(_: Auth<Any>, State(bus): State<Business>, UuidPath(id): UuidPath) -> Result<Response, AppError> {
    let item = bus.query_by_id(id).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, item.version, &App{{ c.n.pascal }}::from(&item), None))
}

/// Create a {{ c.n.name }}.
///
/// **Rule: USER** (an ADMIN without the USER role cannot create). The caller
/// becomes the owner (`userID`). The creation is audited.
#[utoipa::path(
    post,
    path = "/v1/{{ c.n.plural }}",
    operation_id = "create{{ c.n.pascal }}",
    tag = "{{ c.n.plural }}",
    security(("bearerAuth" = [])),
    request_body = AppNew{{ c.n.pascal }},
    responses(
        (status = 201, description = "The new {{ c.n.name }}.", body = App{{ c.n.pascal }}, headers(
            ("ETag" = String, description = "The quoted version, `\"1\"`."),
            ("Location" = String, description = "`/v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}` of the new {{ c.n.name }}."),
        )),
        (status = 400, description = "`invalid_argument`: malformed JSON, an unknown or mistyped field, or a \
            validation rule broken; `fields` lists every bad field.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller does not hold the USER role.",
            body = appsdk::errs::ErrorBody),
{%- if c.has_unique %}
        (status = 409, description = "`already_exists`: a live {{ c.n.name }} has the same {{ c.unique_json }}.",
            body = appsdk::errs::ErrorBody),
{%- endif %}
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn create(auth: Auth<UserOnly>, State(bus): State<Business>, Json(body): Json<AppNew{{ c.n.pascal }}>) -> Result<Response, AppError> {
    let new = body.to_bus(auth.subject)?;
    let item = bus.create(auth.subject, new).await.map_err(to_app_error)?;
    Ok(entity_response(
        StatusCode::CREATED,
        item.version,
        &App{{ c.n.pascal }}::from(&item),
        Some(format!("/v1/{{ c.n.plural }}/{}", item.id)),
    ))
}

/// Update a {{ c.n.name }}.
///
/// **Rule: OWNER|ADMIN**: an ADMIN, or the {{ c.n.name }}'s owner. Absent fields are
/// left as they are. With `If-Match` the change applies only to that version;
/// without it, to the current one. The change is audited.
#[utoipa::path(
    put,
    path = "/v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}",
    operation_id = "update{{ c.n.pascal }}",
    tag = "{{ c.n.plural }}",
    security(("bearerAuth" = [])),
    params(
        ("{{ c.n.name }}_id" = uuid::Uuid, Path, description = "The {{ c.n.name }}'s id."),
        appsdk::docs::IfMatchHeader,
    ),
    request_body = AppUpdate{{ c.n.pascal }},
    responses(
        (status = 200, description = "The updated {{ c.n.name }}.", body = App{{ c.n.pascal }},
            headers(("ETag" = String, description = "The new quoted version."))),
        (status = 400, description = "`invalid_argument`: bad body (every bad field listed), `{{ c.n.name }}_id` not a \
            UUID, or a malformed `If-Match`.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor the owner.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such {{ c.n.name }}, or it was deleted.", body = appsdk::errs::ErrorBody),
{%- if c.has_unique %}
        (status = 409, description = "`already_exists`: a live {{ c.n.name }} has the same {{ c.unique_json }}.",
            body = appsdk::errs::ErrorBody),
{%- endif %}
        (status = 412, response = appsdk::docs::FailedPrecondition),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn update(
    auth: Auth<AdminOrSubject>,
    State(bus): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
    Json(body): Json<AppUpdate{{ c.n.pascal }}>,
) -> Result<Response, AppError> {
    let up = body.to_bus()?;
    let item = bus.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(item.user_id)?;
    if_match.check(item.version)?;
    let updated = bus.update(auth.subject, &item, up, if_match.0).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, updated.version, &App{{ c.n.pascal }}::from(&updated), None))
}

/// Delete a {{ c.n.name }}.
///
/// **Rule: OWNER|ADMIN.** A soft delete: the {{ c.n.name }} is hidden from reads.
/// Deleting it again is a 404.
#[utoipa::path(
    delete,
    path = "/v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}",
    operation_id = "delete{{ c.n.pascal }}",
    tag = "{{ c.n.plural }}",
    security(("bearerAuth" = [])),
    params(
        ("{{ c.n.name }}_id" = uuid::Uuid, Path, description = "The {{ c.n.name }}'s id."),
        appsdk::docs::IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`invalid_argument`: `{{ c.n.name }}_id` is not a UUID, or a malformed `If-Match`.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor the owner.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such {{ c.n.name }}, or it was already deleted.",
            body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
    )
)]
async fn delete(
    auth: Auth<AdminOrSubject>,
    State(bus): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
) -> Result<StatusCode, AppError> {
    let item = bus.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(item.user_id)?;
    if_match.check(item.version)?;
    bus.delete(auth.subject, &item, if_match.0).await.map_err(to_app_error)?;
    Ok(StatusCode::NO_CONTENT)
}

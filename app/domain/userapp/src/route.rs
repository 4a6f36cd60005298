use appsdk::{
    AppError, Auth, ErrCode, FieldError, IfMatch, Json, PageDocument, UuidPath,
    auth::rules::{AdminOnly, AdminOrSubject},
    extract::entity_response,
    query::QueryParams,
};
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, put},
};
use types::{Email, Role};
use userbus::{Business, OrderField, QueryFilter};

use crate::model::{AppNewUser, AppUpdateRoles, AppUpdateUser, AppUser};

/// The OpenAPI description of `/v1/users`, merged into the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(query, query_by_id, create, update, update_role, delete),
    tags((name = "users", description = "User accounts. Users are soft-deleted; passwords and hashes never leave \
        the service."))
)]
pub struct ApiDoc;

appsdk::order_by_params!(UserOrderBy, ORDER_FIELDS, userbus::DEFAULT_ORDER);

/// `orderBy` names accepted by `GET /v1/users`.
pub const ORDER_FIELDS: [(&str, OrderField); 6] = [
    ("user_id", OrderField::Id),
    ("name", OrderField::Name),
    ("email", OrderField::Email),
    ("roles", OrderField::Roles),
    ("enabled", OrderField::Enabled),
    ("date_created", OrderField::DateCreated),
];

pub fn routes(users: Business) -> Router {
    Router::new()
        .route("/v1/users", get(query).post(create))
        .route("/v1/users/{user_id}", get(query_by_id).put(update).delete(delete))
        .route("/v1/users/role/{user_id}", put(update_role))
        .with_state(users)
}

pub fn to_app_error(e: userbus::Error) -> AppError {
    match e {
        userbus::Error::NotFound => AppError::not_found("user"),
        userbus::Error::UniqueEmail => AppError::new(ErrCode::AlreadyExists, "email is already in use")
            .with_fields(vec![FieldError::new("email", "is already in use")]),
        userbus::Error::VersionConflict => AppError::precondition_failed(),
        userbus::Error::AuthFailed => AppError::unauthenticated("invalid credentials"),
        userbus::Error::Internal(e) => AppError::internal(e),
    }
}

fn with_etag(status: StatusCode, user: &userbus::User, location: Option<String>) -> Response {
    entity_response(status, user.version, &AppUser::from(user), location)
}

fn parse_filter(q: &QueryParams) -> Result<QueryFilter, AppError> {
    Ok(QueryFilter {
        id: q.uuid("user_id")?,
        name: q.string("name")?,
        email: q.parse_with("email", Email::parse)?,
        role: q.parse_with("role", Role::parse)?,
        enabled: q.bool("enabled")?,
        start_created_date: q.time("start_created_date")?,
        end_created_date: q.time("end_created_date")?,
    })
}

/// List users.
///
/// **Rule: ADMIN.** Filters are ANDed. Deleted users are never listed.
#[utoipa::path(
    get,
    path = "/v1/users",
    operation_id = "queryUsers",
    tag = "users",
    security(("bearerAuth" = [])),
    params(
        appsdk::docs::PageQuery,
        UserOrderBy,
        ("user_id" = Option<uuid::Uuid>, Query, description = "Exactly this user."),
        ("name" = Option<String>, Query, description = "Case-insensitive substring of the name."),
        ("email" = Option<String>, Query, description = "Exact address, case-insensitive."),
        ("role" = Option<appsdk::docs::RoleSchema>, Query, description = "Users holding this role."),
        ("enabled" = Option<bool>, Query, description = "`true`/`false` (also `1`/`0`)."),
        ("start_created_date" = Option<time::OffsetDateTime>, Query, description = "Created at or after (RFC 3339)."),
        ("end_created_date" = Option<time::OffsetDateTime>, Query, description = "Created at or before (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "One page of users.", body = PageDocument<AppUser>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller is not an ADMIN.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query(_: Auth<AdminOnly>, State(users): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, userbus::DEFAULT_ORDER)?;
    let filter = parse_filter(&q)?;
    // The page and the total run concurrently on two pool connections.
    let (items, total) = tokio::join!(users.query(&filter, order, page), users.count(&filter));
    let items = items.map_err(to_app_error)?;
    let total = total.map_err(to_app_error)?;
    let doc = PageDocument::new(items.iter().map(AppUser::from).collect(), total, page);
    Ok(axum::Json(doc).into_response())
}

/// Get a user.
///
/// **Rule: OWNER|ADMIN**: an ADMIN, or the user themselves. The `ETag` holds the
/// version to send back in `If-Match`.
#[utoipa::path(
    get,
    path = "/v1/users/{user_id}",
    operation_id = "queryUserById",
    tag = "users",
    security(("bearerAuth" = [])),
    params(("user_id" = uuid::Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user.", body = AppUser,
            headers(("ETag" = String, description = "The quoted version, e.g. `\"3\"`."))),
        (status = 400, description = "`invalid_argument`: `user_id` is not a UUID.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor this user.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such user, or it was deleted.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query_by_id(
    auth: Auth<AdminOrSubject>,
    State(users): State<Business>,
    UuidPath(id): UuidPath,
) -> Result<Response, AppError> {
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(user.id)?;
    Ok(with_etag(StatusCode::OK, &user, None))
}

/// Create a user.
///
/// **Rule: ADMIN.** The password is hashed with Argon2id; it is never returned,
/// logged or audited. The creation is audited.
#[utoipa::path(
    post,
    path = "/v1/users",
    operation_id = "createUser",
    tag = "users",
    security(("bearerAuth" = [])),
    request_body = AppNewUser,
    responses(
        (status = 201, description = "The new user.", body = AppUser, headers(
            ("ETag" = String, description = "The quoted version, `\"1\"`."),
            ("Location" = String, description = "`/v1/users/{user_id}` of the new user."),
        )),
        (status = 400, description = "`invalid_argument`: malformed JSON, an unknown or mistyped field, or a \
            validation rule broken; `fields` lists every bad field.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller is not an ADMIN.", body = appsdk::errs::ErrorBody),
        (status = 409, description = "`already_exists`: the email is taken (case-insensitive); `fields` names \
            `email`.", body = appsdk::errs::ErrorBody),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn create(
    auth: Auth<AdminOnly>,
    State(users): State<Business>,
    Json(body): Json<AppNewUser>,
) -> Result<Response, AppError> {
    let nu = body.to_bus()?;
    let user = users.create(auth.subject, nu).await.map_err(to_app_error)?;
    Ok(with_etag(
        StatusCode::CREATED,
        &user,
        Some(format!("/v1/users/{}", user.id)),
    ))
}

/// Update a user.
///
/// **Rule: OWNER|ADMIN**; changing `enabled` is ADMIN only. Absent fields are
/// left as they are. With `If-Match` the change applies only to that version;
/// without it, to the current one. The change is audited (without secrets).
#[utoipa::path(
    put,
    path = "/v1/users/{user_id}",
    operation_id = "updateUser",
    tag = "users",
    security(("bearerAuth" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The user's id."),
        appsdk::docs::IfMatchHeader,
    ),
    request_body = AppUpdateUser,
    responses(
        (status = 200, description = "The updated user.", body = AppUser,
            headers(("ETag" = String, description = "The new quoted version."))),
        (status = 400, description = "`invalid_argument`: bad body (every bad field listed), `user_id` not a UUID, \
            or a malformed `If-Match`.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor this user, or a non-ADMIN sent \
            `enabled`.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such user, or it was deleted.", body = appsdk::errs::ErrorBody),
        (status = 409, description = "`already_exists`: the new email belongs to another user.", body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn update(
    auth: Auth<AdminOrSubject>,
    State(users): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
    Json(body): Json<AppUpdateUser>,
) -> Result<Response, AppError> {
    let uu = body.to_bus()?;
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(user.id)?;
    if uu.enabled.is_some() && !auth.is_admin() {
        return Err(AppError::new(
            ErrCode::PermissionDenied,
            "only an admin may enable or disable a user",
        ));
    }
    if_match.check(user.version)?;
    let updated = users
        .update(auth.subject, &user, uu, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(with_etag(StatusCode::OK, &updated, None))
}

/// Replace a user's roles.
///
/// **Rule: ADMIN.** Honours `If-Match` like the other updates. Takes effect on
/// the user's next request: roles are read from the database, not the token.
#[utoipa::path(
    put,
    path = "/v1/users/role/{user_id}",
    operation_id = "updateUserRoles",
    tag = "users",
    security(("bearerAuth" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The user's id."),
        appsdk::docs::IfMatchHeader,
    ),
    request_body = AppUpdateRoles,
    responses(
        (status = 200, description = "The updated user.", body = AppUser,
            headers(("ETag" = String, description = "The new quoted version."))),
        (status = 400, description = "`invalid_argument`: bad body or roles, `user_id` not a UUID, or a malformed \
            `If-Match`.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller is not an ADMIN.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such user, or it was deleted.", body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn update_role(
    auth: Auth<AdminOnly>,
    State(users): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
    Json(body): Json<AppUpdateRoles>,
) -> Result<Response, AppError> {
    let uu = body.to_bus()?;
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    if_match.check(user.version)?;
    let updated = users
        .update(auth.subject, &user, uu, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(with_etag(StatusCode::OK, &updated, None))
}

/// Delete a user.
///
/// **Rule: OWNER|ADMIN.** A soft delete: the user can no longer log in and their
/// tokens stop working, their products are taken off sale, and their sales
/// history stays. Deleting an already deleted user is a 404.
#[utoipa::path(
    delete,
    path = "/v1/users/{user_id}",
    operation_id = "deleteUser",
    tag = "users",
    security(("bearerAuth" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The user's id."),
        appsdk::docs::IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`invalid_argument`: `user_id` is not a UUID, or a malformed `If-Match`.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor this user.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such user, or it was already deleted.", body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
    )
)]
async fn delete(
    auth: Auth<AdminOrSubject>,
    State(users): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
) -> Result<StatusCode, AppError> {
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(user.id)?;
    if_match.check(user.version)?;
    users
        .delete(auth.subject, &user, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(StatusCode::NO_CONTENT)
}

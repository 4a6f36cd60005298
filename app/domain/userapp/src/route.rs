use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, put},
};
use appsdk::{
    AppError, Auth, ErrCode, FieldError, IfMatch, Json, PageDocument, UuidPath,
    auth::rules::{AdminOnly, AdminOrSubject},
    extract::entity_response,
    query::QueryParams,
};
use types::{Email, Role};
use userbus::{Business, OrderField, QueryFilter};

use crate::model::{AppNewUser, AppUpdateRoles, AppUpdateUser, AppUser};

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
        name: q.string("name"),
        email: q.parse_with("email", Email::parse)?,
        role: q.parse_with("role", Role::parse)?,
        enabled: q.bool("enabled")?,
        start_created_date: q.time("start_created_date")?,
        end_created_date: q.time("end_created_date")?,
    })
}

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

async fn query_by_id(auth: Auth<AdminOrSubject>, State(users): State<Business>, UuidPath(id): UuidPath) -> Result<Response, AppError> {
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(user.id)?;
    Ok(with_etag(StatusCode::OK, &user, None))
}

async fn create(auth: Auth<AdminOnly>, State(users): State<Business>, Json(body): Json<AppNewUser>) -> Result<Response, AppError> {
    let nu = body.to_bus()?;
    let user = users.create(auth.subject, nu).await.map_err(to_app_error)?;
    Ok(with_etag(StatusCode::CREATED, &user, Some(format!("/v1/users/{}", user.id))))
}

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
        return Err(AppError::new(ErrCode::PermissionDenied, "only an admin may enable or disable a user"));
    }
    if_match.check(user.version)?;
    let updated = users.update(auth.subject, &user, uu, if_match.0).await.map_err(to_app_error)?;
    Ok(with_etag(StatusCode::OK, &updated, None))
}

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
    let updated = users.update(auth.subject, &user, uu, if_match.0).await.map_err(to_app_error)?;
    Ok(with_etag(StatusCode::OK, &updated, None))
}

async fn delete(auth: Auth<AdminOrSubject>, State(users): State<Business>, UuidPath(id): UuidPath, if_match: IfMatch) -> Result<StatusCode, AppError> {
    let user = users.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(user.id)?;
    if_match.check(user.version)?;
    users.delete(auth.subject, &user, if_match.0).await.map_err(to_app_error)?;
    Ok(StatusCode::NO_CONTENT)
}

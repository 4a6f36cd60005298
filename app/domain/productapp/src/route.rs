use appsdk::{
    AppError, Auth, IfMatch, Json, PageDocument, UuidPath,
    auth::rules::{AdminOnly, AdminOrSubject, Any, UserOnly},
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
use productbus::{Business, OrderField, QueryFilter};
use types::Money;

use crate::model::{AppNewProduct, AppProduct, AppProductView, AppUpdateProduct};

/// `orderBy` names accepted by the product lists.
pub const ORDER_FIELDS: [(&str, OrderField); 6] = [
    ("product_id", OrderField::Id),
    ("name", OrderField::Name),
    ("cost", OrderField::Cost),
    ("quantity", OrderField::Quantity),
    ("user_id", OrderField::UserId),
    ("date_created", OrderField::DateCreated),
];

pub fn routes(products: Business) -> Router {
    Router::new()
        .route("/v1/products", get(query).post(create))
        .route("/v1/products/{product_id}", get(query_by_id).put(update).delete(delete))
        .route("/v1/vproducts", get(query_view))
        .with_state(products)
}

pub fn to_app_error(e: productbus::Error) -> AppError {
    match e {
        productbus::Error::NotFound => AppError::not_found("product"),
        productbus::Error::VersionConflict => AppError::precondition_failed(),
        productbus::Error::Internal(e) => AppError::internal(e),
    }
}

fn parse_filter(q: &QueryParams) -> Result<QueryFilter, AppError> {
    Ok(QueryFilter {
        id: q.uuid("product_id")?,
        user_id: q.uuid("user_id")?,
        name: q.string("name"),
        cost: q.parse_with("cost", Money::parse_decimal)?,
        min_cost: q.parse_with("min_cost", Money::parse_decimal)?,
        max_cost: q.parse_with("max_cost", Money::parse_decimal)?,
        quantity: q.i64("quantity")?,
        in_stock: q.bool("in_stock")?,
        user_name: q.string("user_name"),
    })
}

async fn query(_: Auth<Any>, State(products): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, productbus::DEFAULT_ORDER)?;
    let filter = QueryFilter { user_name: None, ..parse_filter(&q)? };
    let (items, total) = tokio::join!(products.query(&filter, order, page), products.count(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(items.iter().map(AppProduct::from).collect(), total.map_err(to_app_error)?, page);
    Ok(axum::Json(doc).into_response())
}

async fn query_view(_: Auth<AdminOnly>, State(products): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, productbus::DEFAULT_ORDER)?;
    let filter = parse_filter(&q)?;
    let (items, total) = tokio::join!(products.query_view(&filter, order, page), products.count_view(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(items.iter().map(AppProductView::from).collect(), total.map_err(to_app_error)?, page);
    Ok(axum::Json(doc).into_response())
}

async fn query_by_id(_: Auth<Any>, State(products): State<Business>, UuidPath(id): UuidPath) -> Result<Response, AppError> {
    let p = products.query_by_id(id).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, p.version, &AppProduct::from(&p), None))
}

async fn create(auth: Auth<UserOnly>, State(products): State<Business>, Json(body): Json<AppNewProduct>) -> Result<Response, AppError> {
    let np = body.to_bus(auth.subject)?;
    let p = products.create(auth.subject, np).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::CREATED, p.version, &AppProduct::from(&p), Some(format!("/v1/products/{}", p.id))))
}

async fn update(
    auth: Auth<AdminOrSubject>,
    State(products): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
    Json(body): Json<AppUpdateProduct>,
) -> Result<Response, AppError> {
    let up = body.to_bus()?;
    let p = products.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(p.user_id)?;
    if_match.check(p.version)?;
    let updated = products.update(auth.subject, &p, up, if_match.0).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, updated.version, &AppProduct::from(&updated), None))
}

async fn delete(auth: Auth<AdminOrSubject>, State(products): State<Business>, UuidPath(id): UuidPath, if_match: IfMatch) -> Result<StatusCode, AppError> {
    let p = products.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(p.user_id)?;
    if_match.check(p.version)?;
    products.delete(auth.subject, &p, if_match.0).await.map_err(to_app_error)?;
    Ok(StatusCode::NO_CONTENT)
}

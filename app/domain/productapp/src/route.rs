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

/// The OpenAPI description of `/v1/products` and `/v1/vproducts`, merged into the
/// service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(query, query_by_id, create, update, delete, query_view),
    tags((name = "products", description = "Products on sale. Products are soft-deleted: hidden from reads and \
        unsellable, while past sales keep their lines."))
)]
pub struct ApiDoc;

appsdk::order_by_params!(ProductOrderBy, ORDER_FIELDS, productbus::DEFAULT_ORDER);

/// The filters of both product lists.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: the handlers read `QueryParams`
struct ProductFilter {
    /// Exactly this product.
    product_id: Option<uuid::Uuid>,
    /// Products of this owner.
    user_id: Option<uuid::Uuid>,
    /// Case-insensitive substring of the name.
    name: Option<String>,
    /// Exactly this cost (a decimal with at most 2 decimals, e.g. `19.99`).
    #[param(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$", example = "19.99")]
    cost: Option<String>,
    /// Cost at least this (inclusive).
    #[param(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$", example = "5")]
    min_cost: Option<String>,
    /// Cost at most this (inclusive).
    #[param(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$", example = "100.50")]
    max_cost: Option<String>,
    /// Exactly this many in stock.
    quantity: Option<i64>,
    /// `true`: quantity above 0; `false`: quantity 0.
    in_stock: Option<bool>,
}

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
        name: q.string("name")?,
        cost: q.parse_with("cost", Money::parse_decimal)?,
        min_cost: q.parse_with("min_cost", Money::parse_decimal)?,
        max_cost: q.parse_with("max_cost", Money::parse_decimal)?,
        quantity: q.i64("quantity")?,
        in_stock: q.bool("in_stock")?,
        user_name: q.string("user_name")?,
    })
}

/// List products.
///
/// **Rule: ANY** authenticated user. Filters are ANDed; deleted products and the
/// products of deleted users are not listed. A `user_name` parameter is ignored
/// here (it belongs to `/v1/vproducts`).
#[utoipa::path(
    get,
    path = "/v1/products",
    operation_id = "queryProducts",
    tag = "products",
    security(("bearerAuth" = [])),
    params(appsdk::docs::PageQuery, ProductOrderBy, ProductFilter),
    responses(
        (status = 200, description = "One page of products.", body = PageDocument<AppProduct>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
    )
)]
async fn query(_: Auth<Any>, State(products): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, productbus::DEFAULT_ORDER)?;
    let filter = QueryFilter {
        user_name: None,
        ..parse_filter(&q)?
    };
    let (items, total) = tokio::join!(products.query(&filter, order, page), products.count(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(
        items.iter().map(AppProduct::from).collect(),
        total.map_err(to_app_error)?,
        page,
    );
    Ok(axum::Json(doc).into_response())
}

/// List products with their owner's name.
///
/// **Rule: ADMIN.** The same filters and ordering as `GET /v1/products`, plus
/// `user_name`.
#[utoipa::path(
    get,
    path = "/v1/vproducts",
    operation_id = "queryProductViews",
    tag = "products",
    security(("bearerAuth" = [])),
    params(
        appsdk::docs::PageQuery,
        ProductOrderBy,
        ProductFilter,
        ("user_name" = Option<String>, Query, description = "Case-insensitive substring of the owner's name."),
    ),
    responses(
        (status = 200, description = "One page of products with owner names.", body = PageDocument<AppProductView>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller is not an ADMIN.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query_view(
    _: Auth<AdminOnly>,
    State(products): State<Business>,
    q: QueryParams,
) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, productbus::DEFAULT_ORDER)?;
    let filter = parse_filter(&q)?;
    let (items, total) = tokio::join!(products.query_view(&filter, order, page), products.count_view(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(
        items.iter().map(AppProductView::from).collect(),
        total.map_err(to_app_error)?,
        page,
    );
    Ok(axum::Json(doc).into_response())
}

/// Get a product.
///
/// **Rule: ANY** authenticated user. The `ETag` holds the version to send back
/// in `If-Match`.
#[utoipa::path(
    get,
    path = "/v1/products/{product_id}",
    operation_id = "queryProductById",
    tag = "products",
    security(("bearerAuth" = [])),
    params(("product_id" = uuid::Uuid, Path, description = "The product's id.")),
    responses(
        (status = 200, description = "The product.", body = AppProduct,
            headers(("ETag" = String, description = "The quoted version, e.g. `\"3\"`."))),
        (status = 400, description = "`invalid_argument`: `product_id` is not a UUID.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 404, description = "`not_found`: no such product, or it was deleted.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query_by_id(
    _: Auth<Any>,
    State(products): State<Business>,
    UuidPath(id): UuidPath,
) -> Result<Response, AppError> {
    let p = products.query_by_id(id).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, p.version, &AppProduct::from(&p), None))
}

/// Create a product.
///
/// **Rule: USER** (an ADMIN without the USER role cannot sell). The caller
/// becomes the owner (`userID`). The creation is audited.
#[utoipa::path(
    post,
    path = "/v1/products",
    operation_id = "createProduct",
    tag = "products",
    security(("bearerAuth" = [])),
    request_body = AppNewProduct,
    responses(
        (status = 201, description = "The new product.", body = AppProduct, headers(
            ("ETag" = String, description = "The quoted version, `\"1\"`."),
            ("Location" = String, description = "`/v1/products/{product_id}` of the new product."),
        )),
        (status = 400, description = "`invalid_argument`: malformed JSON, an unknown or mistyped field, or a \
            validation rule broken; `fields` lists every bad field.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller does not hold the USER role.",
            body = appsdk::errs::ErrorBody),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn create(
    auth: Auth<UserOnly>,
    State(products): State<Business>,
    Json(body): Json<AppNewProduct>,
) -> Result<Response, AppError> {
    let np = body.to_bus(auth.subject)?;
    let p = products.create(auth.subject, np).await.map_err(to_app_error)?;
    Ok(entity_response(
        StatusCode::CREATED,
        p.version,
        &AppProduct::from(&p),
        Some(format!("/v1/products/{}", p.id)),
    ))
}

/// Update a product.
///
/// **Rule: OWNER|ADMIN**: an ADMIN, or the product's owner. Absent fields are
/// left as they are. With `If-Match` the change applies only to that version;
/// without it, to the current one. The change is audited.
#[utoipa::path(
    put,
    path = "/v1/products/{product_id}",
    operation_id = "updateProduct",
    tag = "products",
    security(("bearerAuth" = [])),
    params(
        ("product_id" = uuid::Uuid, Path, description = "The product's id."),
        appsdk::docs::IfMatchHeader,
    ),
    request_body = AppUpdateProduct,
    responses(
        (status = 200, description = "The updated product.", body = AppProduct,
            headers(("ETag" = String, description = "The new quoted version."))),
        (status = 400, description = "`invalid_argument`: bad body (every bad field listed), `product_id` not a \
            UUID, or a malformed `If-Match`.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor the owner.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such product, or it was deleted.", body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
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
    let updated = products
        .update(auth.subject, &p, up, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(entity_response(
        StatusCode::OK,
        updated.version,
        &AppProduct::from(&updated),
        None,
    ))
}

/// Delete a product.
///
/// **Rule: OWNER|ADMIN.** A soft delete: the product is hidden from reads and
/// cannot be sold; past sales keep their lines. Deleting it again is a 404.
#[utoipa::path(
    delete,
    path = "/v1/products/{product_id}",
    operation_id = "deleteProduct",
    tag = "products",
    security(("bearerAuth" = [])),
    params(
        ("product_id" = uuid::Uuid, Path, description = "The product's id."),
        appsdk::docs::IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`invalid_argument`: `product_id` is not a UUID, or a malformed `If-Match`.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither an ADMIN nor the owner.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such product, or it was already deleted.",
            body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
    )
)]
async fn delete(
    auth: Auth<AdminOrSubject>,
    State(products): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
) -> Result<StatusCode, AppError> {
    let p = products.query_by_id(id).await.map_err(to_app_error)?;
    auth.require_owner_or_admin(p.user_id)?;
    if_match.check(p.version)?;
    products
        .delete(auth.subject, &p, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(StatusCode::NO_CONTENT)
}
